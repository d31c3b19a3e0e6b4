import Testing
import TimeFormat

/// RFC 3339 text: the writer's format, and the two parsing rules (times people type; record
/// envelopes), each with the inputs it has always accepted and rejected.
@Suite("RFC 3339")
struct TimeFormatTests {
    @Test("format: nine fractional digits, UTC, total over Int64", arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000000Z"),
        (1_700_000_000_123_456_789, "2023-11-14T22:13:20.123456789Z"),
        (951_782_400_000_000_001, "2000-02-29T00:00:00.000000001Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (4_102_444_799_999_999_999, "2099-12-31T23:59:59.999999999Z"),
        (Int64.min, "1677-09-21T00:12:43.145224192Z"),
        (Int64.max, "2262-04-11T23:47:16.854775807Z"),
    ])
    func format(nanos: Int64, text: String) {
        #expect(RFC3339.string(nanos) == text)
        var bytes = Array("x".utf8)
        RFC3339.append(nanos, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "x" + text)
    }

    @Test("typed times: what is accepted, and its value", arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-23", 1_795_392_000_000_000_000),
        ("2026-11-23t14:05:00z", 1_795_442_700_000_000_000),
        ("2026-11-23T15:05:00.5+01:00", 1_795_442_700_500_000_000),
        ("2026-11-23T14:05:00.1234567891Z", 1_795_442_700_123_456_789),   // beyond ns: truncated
        ("2024-02-29T00:00:00Z", 1_709_164_800_000_000_000),
        ("1677-09-21T00:12:44Z", -9_223_372_036_000_000_000),
        ("2262-04-11T23:47:16.854775807Z", Int64.max),
    ])
    func typedAccepted(text: String, nanos: Int64) {
        #expect(RFC3339.parseAbsolute(text) == .time(nanos))
        #expect(RFC3339.parse(text) == nanos)
        #expect(!RFC3339.isOutOfRange(text))
        #expect(RFC3339.parse(RFC3339.string(nanos)) == nanos)
    }

    @Test("typed times: rejected as no time", arguments: [
        "", "2026-11-23T14:05:00", "2026-11-23 14:05:00Z", "2023-02-29", "2026-13-01", "2026-11-23T24:00:00Z",
        "2026-11-23T14:05:00.Z", "2026-11-23T14:05:00+24:00", "2026-11-23T14:05:00Zx", "now",
        String(repeating: "9", count: 65),
    ])
    func typedInvalid(text: String) {
        #expect(RFC3339.parseAbsolute(text) == .invalid)
        #expect(RFC3339.parse(text) == nil)
    }

    @Test("typed times outside Int64 nanoseconds: out of range, never a trap", arguments: [
        "0001-01-01", "1677-09-21T00:12:43Z", "2262-04-11T23:47:17Z", "9999-12-31T23:59:59.999999999-23:59",
    ])
    func typedOutOfRange(text: String) {
        #expect(RFC3339.parseAbsolute(text) == .outOfRange)
        #expect(RFC3339.isOutOfRange(text))
        #expect(RFC3339.parse(text) == nil)
    }

    @Test("record envelope times: seconds as Double", arguments: [
        ("2023-11-14T22:14:40.000000000Z", 1_700_000_080.0), ("1970-01-01T00:00:00Z", 0), ("2023-11-14T23:14:40.5+01:00", 1_700_000_080.5),
        ("2023-11-14 22:14:40Z", 1_700_000_080.0), ("2023-11-14t22:14:40z", 1_700_000_080.0),
        // The envelope rule's own leniencies, kept: day checked against 31 only, leap second,
        // unchecked offset digits.
        ("2023-02-31T00:00:00Z", 1_677_801_600.0), ("2023-11-14T22:14:60Z", 1_700_000_100.0), ("1970-01-01T00:00:00+99:99", -362_340.0),
        ("0000-01-01T00:00:00Z", -62_167_219_200.0),
    ])
    func recordAccepted(text: String, seconds: Double) {
        #expect(RFC3339.recordSeconds(text) == seconds)
    }

    @Test("record envelope times: rejected", arguments: [
        "2023-11-14", "2023-11-14T22:14:40", "2023-11-14T22:14:40.Z", "2023-11-14T22:14:40+0100", "2023-11-14X22:14:40Z",
        "2023-11-32T00:00:00Z", "2023-00-01T00:00:00Z", "2023-11-14T22:14:61Z", "2023-11-14T22:14:40Zz", "",
    ])
    func recordRejected(text: String) {
        #expect(RFC3339.recordSeconds(text) == nil)
    }
}
