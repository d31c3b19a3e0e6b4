// libFuzzer target for the query language and the time parsers. Built by run.sh: TimeFormat (the
// RFC 3339 parsers) as a module, the Indexer's query sources (with the few PacketDecoding/Indexer
// types they use) as a module `Indexer` compiled with -enable-testing, and this harness together
// with the agent's TimeParser.swift and Units.swift (which `import TimeFormat`, as in the package).
// Here `TimeParser` is the agent's; the query language's is `Indexer.TimeParser`.
//
// The input bytes, decoded as lossy UTF-8, go to every parser. Each must answer or refuse; a trap
// in a parser is a crash libFuzzer saves, and so is a broken invariant (checked below).

import Foundation
@testable import Indexer
import TimeFormat

/// 2026-11-23T08:30:00Z: relative times (`15m ago`) count back from a fixed instant.
private let nowNanos: Int64 = 1_795_422_600_000_000_000
private let nowDate = Date(timeIntervalSince1970: 1_795_422_600)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    checkQuery(text)
    // The time parsers get the whole text and each of its first words, so that the query seeds'
    // times (`after 1677-09-21T00:12:44Z`) reach them directly.
    for piece in [Substring(text)] + text.split(separator: " ").prefix(8) {
        let piece = String(piece)
        checkQueryTimes(piece)
        checkAgentTime(piece)
        checkUnits(piece)
    }
    return 0
}

/// Fails with the input in the message, so that a reproduction says which text broke what.
private func require(_ condition: @autoclosure () -> Bool, _ what: String, _ text: String) {
    if !condition() { fatalError("invariant violated: \(what) for \(String(reflecting: text))") }
}

private func depth(_ f: Filter) -> Int {
    switch f {
    case .term: 1
    case .not(let a): depth(a) + 1
    case .and(let a, let b), .or(let a, let b): max(depth(a), depth(b)) + 1
    }
}

private func checkQuery(_ text: String) {
    let characters = text.count
    do {
        let q = try QueryParser.parse(text, now: nowNanos)
        if let a = q.after, let b = q.before { require(a < b, "after < before", text) }
        if let f = q.filter { require(depth(f) <= QueryParser.maxDepth, "filter depth <= maxDepth", text) }
        require(text.utf8.count <= QueryParser.maxLength, "an over-long query is refused", text)
        _ = q.requiredFields
        // Deterministic: the same text parses to the same query.
        require((try? QueryParser.parse(text, now: nowNanos)) == q, "parsing is deterministic", text)
    } catch {
        require(error.offset >= 0 && error.offset <= characters, "0 <= offset <= text.count", text)
        require(error.length >= 0 && error.offset + error.length <= characters, "the token lies within the text", text)
        require(!error.message.isEmpty, "an error explains itself", text)
        if error.code == .unexpectedEnd { require(error.offset == characters && error.length == 0, "unexpectedEnd at the end", text) }
        _ = error.description
    }
}

private func checkQueryTimes(_ text: String) {
    let parsed = RFC3339.parseAbsolute(text)
    switch parsed {
    case .time(let t):
        require(RFC3339.parse(text) == t && !RFC3339.isOutOfRange(text), "RFC3339 agrees with parseAbsolute", text)
        // The agent's formatter writes what the parser reads back exactly.
        let formatted = TimeParser.format(t)
        require(RFC3339.parseAbsolute(formatted) == .time(t), "format/parse round trip (\(formatted))", text)
        // The record envelope's rule is laxer: a date-time typed times accept, it accepts too, same time.
        if text.utf8.count > 10 {
            let seconds = RFC3339.recordSeconds(text)
            require(seconds.map { abs($0 - Double(t) / 1e9) < 1e-4 } == true, "the record rule accepts it too, same time", text)
        }
    case .outOfRange:
        require(RFC3339.parse(text) == nil && RFC3339.isOutOfRange(text), "RFC3339 agrees (out of range)", text)
    case .invalid:
        require(RFC3339.parse(text) == nil && !RFC3339.isOutOfRange(text), "RFC3339 agrees (invalid)", text)
    }
    if let d = Indexer.TimeParser.duration(text) {
        require(d >= 0 && d % 1_000_000_000 == 0, "a duration is whole non-negative seconds", text)
        if let ago = Indexer.TimeParser.ago(d, from: nowNanos) { require(ago <= nowNanos, "ago is not in the future", text) }
    }
}

private func checkAgentTime(_ text: String) {
    let result: Result<Int64, TimeParser.Failure>
    do throws(TimeParser.Failure) {
        result = .success(try TimeParser.value(text, now: nowDate))
    } catch {
        result = .failure(error)
        require(error.text == text, "a failure carries the text", text)
        _ = error.description
    }
    require(TimeParser.parse(text, now: nowDate) == (try? result.get()), "parse agrees with value", text)
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed == "now" { require((try? result.get()) == nowNanos, "now is now", text) }
    if case .success(let t) = result {
        if trimmed.hasSuffix("ago") { require(t <= nowNanos, "'ago' is not in the future", text) }
        let formatted = TimeParser.format(t)
        require((try? TimeParser.value(formatted, now: nowDate)) == t, "format/value round trip (\(formatted))", text)
    }
}

private func checkUnits(_ text: String) {
    if let s = Units.seconds(text) {
        require(s.isFinite && s >= 0 && s <= Units.maxSeconds, "0 <= seconds <= maxSeconds", text)
        require(Units.seconds(text, limit: .infinity) == s, "the limit only refuses", text)
    } else if let s = Units.seconds(text, limit: .infinity) {
        require(s.isFinite && s > Units.maxSeconds, "refused only past the limit", text)
    }
    if let b = Units.bytes(text) { _ = b.description }
}
