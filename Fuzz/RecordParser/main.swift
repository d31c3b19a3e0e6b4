// libFuzzer target for the record parser (JSONLineScanner + RecordFields). Built by run.sh together
// with the Records sources the parser needs (one module, so no `import Records`). The input is an
// NDJSON batch; AddressSanitizer catches any read past a line, and the checks below any bookkeeping
// slip, and any difference between the batch and the same lines handed over as Kafka payloads.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // The batch ends exactly where libFuzzer's heap copy ends, so ASan sees any overrun.
    let batch = UnsafeRawBufferPointer(start: data, count: size)
    let (records, errors) = RecordParser.parse(batch: batch)
    let lines = batch.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    let numbers = records.map(\.line) + errors.map(\.line)
    precondition(Set(numbers).count == numbers.count, "a line reported twice")
    precondition(numbers.allSatisfy { $0 >= 1 && $0 <= lines }, "a line number outside the batch")
    precondition(zip(records, records.dropFirst()).allSatisfy { $0.line < $1.line }, "records out of order")
    let payloads = batch.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
    let perMessage = RecordParser.parse(payloads: payloads, maxErrors: .max, maxLineBytes: .max)
    precondition(perMessage.records == records && perMessage.errors == errors, "payloads parse unlike the batch's lines")
    return 0
}
