import Analytics
import ArgumentParser
import Foundation
import Logging
import PacketDecoding
import Records
import Transport

/// Kafka export speed with the delivery bookkeeping in the path: N records are appended to a real
/// spool and made durable, then the real `KafkaSink` is started and timed until the spool reports
/// every record acknowledged (delivery report received, cursor moved past it). The cluster is
/// `vigie-kafka-mock` (or any broker) at `--bootstrap`; Benchmarks/kafka-export.sh pairs it with kcat.
///
/// The record file holds `KEY<TAB>RECORD-JSON` lines (kcat sends it with `-K '\t'`), made from a
/// capture by the agent's own encoder with `--make-from`.
struct KafkaExportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-export",
        abstract: "Spool -> KafkaSink -> Kafka speed (records/s until every record is acknowledged).")

    @Option(help: "Records file: KEY<TAB>JSON lines, one record each.") var recordFile: String
    @Option(help: "Write the records file from this capture (agent encoder, every transaction kept), then exit.")
    var makeFrom: String?
    @Option(help: "Records to write (--make-from: the capture's records repeated up to this count) or to send (at most the file's).")
    var records = 500_000
    @Option(help: "Kafka bootstrap servers (loopback mock).") var bootstrap: String?
    @Option(help: "Spool directory (emptied first).") var spool = "/tmp/vigie-bench/kafka-spool"
    @Option(name: .customLong("set"), help: "librdkafka property NAME=VALUE for the sink (repeatable).")
    var properties: [String] = []
    @Option(help: "Send every kind to this one topic (as kcat does) instead of one topic per kind.") var topic: String?
    @Option(help: "Give up after this many seconds.") var timeout = 300.0

    struct BenchError: Error, CustomStringConvertible {
        var description: String
        init(_ message: String) { description = message }
    }

    func run() throws {
        if let makeFrom { return try makeRecords(from: makeFrom) }
        guard let bootstrap else { throw BenchError("--bootstrap is required (or --make-from to write the records file)") }
        let loadStart = monotonicSeconds()
        let lines = try loadRecords()
        print("loaded \(lines.count) records in \(fmt(monotonicSeconds() - loadStart)) s")
        var logger = Logger(label: "vigie-bench")
        logger.logLevel = .warning
        try? FileManager.default.removeItem(atPath: spool)
        var spoolConfig = SpoolConfig(directory: spool)
        // Room for every record: the benchmark measures the sink, not the spool's admission shares.
        spoolConfig.maxBytes = 64 << 30
        let store = try Spool(config: spoolConfig, sinks: ["kafka"], logger: logger)
        let appendStart = monotonicSeconds()
        var payloadBytes = 0
        for line in lines {
            let accepted = line.bytes.withUnsafeBytes { raw in
                store.append(kind: line.kind, key: Array(raw[0..<line.keyLength]),
                             payload: UnsafeRawBufferPointer(rebasing: raw[(line.keyLength + 1)...]))
            }
            guard accepted else { throw BenchError("the spool refused a record") }
            payloadBytes += line.bytes.count - line.keyLength - 1
        }
        // Durable before the clock starts: readers only see fsynced records, and the spool's write
        // speed is another benchmark's business.
        store.flush(timeout: 600)
        let spooled = store.stats()
        guard spooled.durableSeq == UInt64(lines.count) else { throw BenchError("only \(spooled.durableSeq) of \(lines.count) records became durable") }
        print("spooled \(lines.count) records (\(payloadBytes) payload bytes, \(spooled.segments) segments) in \(fmt(monotonicSeconds() - appendStart)) s")

        var sinkConfig = KafkaSinkConfig(bootstrapServers: bootstrap)
        if let topic { for kind in RecordKind.allCases { sinkConfig.topics[kind.name] = topic } }
        for property in properties {
            let parts = property.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw BenchError("--set needs NAME=VALUE, got \(property)") }
            sinkConfig.properties[parts[0]] = parts[1]
        }
        let sink = try KafkaSink(config: sinkConfig, spool: store, logger: logger)
        let cpuStart = cpuSeconds()
        let start = monotonicSeconds()
        sink.start()
        // Polled every millisecond: the end is known to ~1 ms of a run of a second or more.
        var pending = UInt64(lines.count)
        while pending > 0 && monotonicSeconds() - start < timeout {
            usleep(1000)
            pending = store.stats().pending["kafka"] ?? 0
        }
        let elapsed = monotonicSeconds() - start
        // CPU of the whole process (sink thread, librdkafka's threads, this polling loop): a figure
        // that moves less than wall time when other work shares the machine.
        let cpu = cpuSeconds() - cpuStart
        sink.stop(drainSeconds: 5)
        store.close()
        let stats = sink.stats()
        guard pending == 0 else {
            throw BenchError("timed out after \(fmt(elapsed)) s: \(pending) records unacknowledged, last error \(stats.lastError ?? "none")")
        }
        let rate = Double(lines.count) / elapsed
        print("acknowledged \(lines.count) records in \(fmt(elapsed)) s: \(Int(rate)) records/s, \(fmt(Double(payloadBytes) / elapsed / 1e6)) MB/s of payload")
        print("CPU \(fmt(cpu)) s (\(fmt(cpu / Double(lines.count) * 1e6)) us a record)")
        print("sink delivered \(stats.delivered), retried \(stats.retried), last error \(stats.lastError ?? "none")")
        let (rss, hwm) = residentKiB()
        print("RSS \(rss / 1024) MiB, peak \(hwm / 1024) MiB (includes the records held in memory)")
        // One line for scripts.
        print("result records=\(lines.count) seconds=\(fmt(elapsed)) rate=\(Int(rate)) cpu=\(fmt(cpu)) delivered=\(stats.delivered) retried=\(stats.retried)")
        try? FileManager.default.removeItem(atPath: spool)
    }

    /// One line of the records file: `KEY<TAB>JSON`, without its line feed.
    struct Line {
        var bytes: [UInt8]
        var keyLength: Int
        var kind: RecordKind
    }

    /// Up to `records` lines of the file; the kind comes from each record's `"kind"` field.
    private func loadRecords() throws -> [Line] {
        guard let data = FileManager.default.contents(atPath: recordFile) else { throw BenchError("cannot read \(recordFile)") }
        let file = [UInt8](data)  // scanned as plain bytes: slicing `Data` line by line is slow
        let marker = Array("\"kind\":\"".utf8)
        var out: [Line] = []
        out.reserveCapacity(records)
        var start = 0, number = 0
        while start < file.count && out.count < records {
            let end = file[start...].firstIndex(of: 0x0A) ?? file.count
            defer { start = end + 1 }
            number += 1
            guard end > start else { continue }
            let bytes = Array(file[start..<end])
            guard let tab = bytes.firstIndex(of: 0x09) else { throw BenchError("\(recordFile):\(number): no KEY<TAB> prefix") }
            guard let at = firstRange(of: marker, in: bytes, from: tab + 1),
                  let close = bytes[(at + marker.count)...].firstIndex(of: 0x22),
                  let kind = RecordKind(rawValue: String(decoding: bytes[(at + marker.count)..<close], as: UTF8.self))
            else { throw BenchError("\(recordFile):\(number): no known \"kind\"") }
            out.append(Line(bytes: bytes, keyLength: tab, kind: kind))
        }
        guard !out.isEmpty else { throw BenchError("\(recordFile) holds no records") }
        return out
    }

    private func firstRange(of needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        var i = from
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// Collects the emitter's lines as `KEY<TAB>JSON\n`.
    final class KeyedLines: RecordOutput {
        var lines: [[UInt8]] = []
        var perKind: [RecordKind: Int] = [:]
        func write(_ line: [UInt8], kind: RecordKind, key: String) -> Bool {
            // A key with a tab or line feed would break the file's framing (none is expected).
            guard !key.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A }) else { return false }
            lines.append(Array(key.utf8) + [0x09] + (line.last == 0x0A ? line : line + [0x0A]))
            perKind[kind, default: 0] += 1
            return true
        }
        func flush() {}
    }

    /// Runs the agent's analytics and record encoder over the capture and writes `records` lines,
    /// the capture's records in order, repeated when it has fewer.
    private func makeRecords(from pcap: String) throws {
        let capture = try LoadedCapture(path: pcap)
        let output = KeyedLines()
        var emitterConfig = RecordEmitterConfig(agentID: "bench-agent", epoch: 1)
        emitterConfig.transactionSampleRate = 1  // every transaction: more txn records, as on a busy agent
        let emitter = RecordEmitter(config: emitterConfig, output: output)
        let analyzer = FlowAnalyzer(config: AnalyticsConfig(), sink: emitter)
        let linkType = LinkType(rawValue: capture.linkType)
        capture.bytes.withUnsafeBytes { all in
            for i in 0..<capture.offsets.count {
                let packet = UnsafeRawBufferPointer(rebasing: all[capture.offsets[i] ..< capture.offsets[i] + capture.lengths[i]])
                analyzer.process(packetBytes: packet, linkType: linkType, timestampNanos: capture.timestamps[i])
            }
        }
        analyzer.finish()
        emitter.finish()
        guard !output.lines.isEmpty else { throw BenchError("\(pcap) gave no records") }
        var file: [UInt8] = []
        for i in 0..<records { file += output.lines[i % output.lines.count] }
        guard FileManager.default.createFile(atPath: recordFile, contents: Data(file)) else { throw BenchError("cannot write \(recordFile)") }
        let kinds = output.perKind.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }
        print("\(pcap): \(output.lines.count) records (\(kinds.joined(separator: " "))); wrote \(records) lines, \(file.count) bytes, to \(recordFile)")
    }

    /// User + system CPU time of the process so far.
    private func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private func fmt(_ value: Double) -> String { String(format: "%.3f", value) }
}
