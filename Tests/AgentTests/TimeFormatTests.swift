import Foundation
import Testing
import TimeFormat

@testable import Agent

/// `TimeParser.format` over the whole `Int64` range. The query-language fuzzer (Fuzz/QueryLanguage)
/// found that it trapped (arithmetic overflow) on the earliest times the parsers accept, such as
/// `1677-09-21T00:12:44Z`: what `vigie-agent segments` prints for a segment's first packet.
@Suite("Agent time formatting")
struct TimeFormatTests {
    @Test("format is total and exact at the edges", arguments: [
        (Int64.min, "1677-09-21T00:12:43.145224192Z"),
        (Int64.min + 1, "1677-09-21T00:12:43.145224193Z"),
        (-9_223_372_036_000_000_000, "1677-09-21T00:12:44.000000000Z"),
        (-9_223_372_035_999_999_999, "1677-09-21T00:12:44.000000001Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (0, "1970-01-01T00:00:00.000000000Z"),
        (1_795_422_600_500_000_000, "2026-11-23T08:30:00.500000000Z"),
        (Int64.max, "2262-04-11T23:47:16.854775807Z"),
    ])
    func edges(_ ns: Int64, _ text: String) {
        #expect(TimeParser.format(ns) == text)
    }

    @Test("what the parsers accept formats back to the same time")
    func roundTrip() throws {
        for text in ["1677-09-21T00:12:44Z", "1677-09-22", "2262-04-11T23:47:16.854775807Z", "1969-12-31T23:59:59.999999999Z", "0", "now"] {
            let t = try TimeParser.value(text)
            #expect(RFC3339.parse(TimeParser.format(t)) == t, "\(text)")
            #expect(try TimeParser.value(TimeParser.format(t)) == t, "\(text)")
        }
    }
}
