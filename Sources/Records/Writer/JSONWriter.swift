import TimeFormat

/// Appends one JSON object to a reusable byte buffer, field by field, without Foundation.
///
/// Keys are trusted ASCII literals; string values are escaped (quote, backslash, every control
/// byte, DEL, U+2028/U+2029), so any Swift string, including names decoded from hostile packets,
/// yields valid JSON. (Swift strings are always valid Unicode: invalid UTF-8 from the wire was
/// already replaced by U+FFFD when the string was made.)
public struct JSONWriter {
    /// The encoded bytes.
    public var bytes: [UInt8] = []
    /// Whether the next member needs a comma, one bit per nesting level (bit `depth - 1` for the
    /// innermost): a bit mask rather than an array keeps the per-member bookkeeping off the heap.
    private var commaBits: UInt64 = 0
    /// Open objects and arrays (at most 64).
    private var depth = 0
    /// The day of the last timestamp written and its `YYYY-MM-DD` text: a record's times (and
    /// consecutive records') fall on the same day, so the calendar arithmetic runs once a day.
    private var cachedDay: Int64 = .min
    private var cachedDate: (UInt64, UInt16) = (0, 0)

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        commaBits = 0
        depth = 0
    }

    /// Empties the buffer and continues an object whose opening and first members were written
    /// elsewhere: the next member starts with a comma. (``RecordEncoder/beginTail(ts:agentTs:)``:
    /// a record body encoded apart from its envelope head.)
    public mutating func resumeObject() {
        reset()
        depth = 1
        commaBits = 1
    }

    // MARK: structure

    /// Opens and closes objects and arrays (nesting up to 64 levels).
    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        depth += 1
        commaBits &= ~(1 << UInt64(depth - 1))
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        depth -= 1
    }

    /// Writes `"key":` (the value follows).
    public mutating func key(_ key: StaticString) {
        let bit: UInt64 = 1 << UInt64(depth - 1)
        let comma = commaBits & bit != 0
        append(upTo: key.utf8CodeUnitCount + 4) { Self.put(key: key, comma: comma, $0) }
        // The value written next must not be preceded by a comma; the member after it must.
        commaBits &= ~bit
    }

    // MARK: values (inside an array or after `key`)

    /// A string, escaped.
    public mutating func value(_ s: String) {
        separate()
        appendEscaped(s)
    }

    /// Integers, in decimal.
    public mutating func value(_ n: Int64) {
        let comma = separator()
        append(upTo: 21) { p in Self.put(comma: comma, p) + Self.put(n, p + (comma ? 1 : 0)) }
    }

    public mutating func value(_ n: UInt64) {
        let comma = separator()
        append(upTo: 21) { p in Self.put(comma: comma, p) + Self.put(n, p + (comma ? 1 : 0)) }
    }

    public mutating func value(_ n: Int) { value(Int64(n)) }

    public mutating func value(_ b: Bool) {
        let comma = separator()
        append(upTo: 6) { p in Self.put(comma: comma, p) + Self.put(b, p + (comma ? 1 : 0)) }
    }

    /// A finite double with up to 6 decimals (non-finite values are written as 0).
    public mutating func value(_ d: Double) {
        let comma = separator()
        append(upTo: 30) { p in Self.put(comma: comma, p) + Self.put(d, p + (comma ? 1 : 0)) }
    }

    /// Packet or agent time as an RFC 3339 UTC string with nanoseconds.
    public mutating func timestamp(_ nanos: Int64) {
        let comma = separator()
        let t = timeParts(nanos)
        append(upTo: 33) { p in Self.put(comma: comma, p) + Self.put(time: t, p + (comma ? 1 : 0)) }
    }

    /// A two-element array `[a,b]` (a histogram bucket: index and count), written whole.
    public mutating func value(pair a: UInt64, _ b: UInt64) {
        let comma = separator()
        append(upTo: 44) { p in
            var n = Self.put(comma: comma, p)
            p[n] = UInt8(ascii: "["); n += 1
            n += Self.put(a, p + n)
            p[n] = UInt8(ascii: ","); n += 1
            n += Self.put(b, p + n)
            p[n] = UInt8(ascii: "]")
            return n + 1
        }
    }

    /// An IPv4 address as a dotted-quad string, written straight into the buffer (the common case,
    /// per record; other addresses are written as their text with ``value(_:)-(String)``).
    public mutating func value(ipv4 v4: UInt32) {
        let comma = separator()
        append(upTo: 18) { p in
            var n = Self.put(comma: comma, p)
            p[n] = UInt8(ascii: "\""); n += 1
            n += Self.put(dottedQuad: v4, p + n)
            p[n] = UInt8(ascii: "\"")
            return n + 1
        }
    }

    /// A service id: `10.0.0.5:443/tcp` when `ipv4` is given, else `[host]:53/udp` with `host` the
    /// address's text. The record field types (addresses, service keys) live with the analytics;
    /// their writers (`JSONWriter+Analytics.swift`) call this.
    public mutating func value(serviceIPv4 ipv4: UInt32?, host: @autoclosure () -> String, port: UInt16, transport: String) {
        value(serviceIPv4: ipv4, host: host(), port: port, transport: transport, tenantKind: "", tenantID: 0)
    }

    /// A service id with a tenant prefix when `tenantKind` is not empty:
    /// `vxlan:100/10.0.0.5:443/tcp` (the text of `ServiceKey.id`, written without building it).
    public mutating func value(serviceIPv4 ipv4: UInt32?, host: @autoclosure () -> String, port: UInt16, transport: String,
                               tenantKind: String, tenantID: UInt32) {
        let comma = separator()
        guard let ipv4 else {
            // IPv6 (rare): the address text comes from its formatter.
            if comma { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            if !tenantKind.isEmpty {
                bytes.append(contentsOf: tenantKind.utf8)
                append(upTo: 12) { p in p[0] = UInt8(ascii: ":"); return 1 + Self.put(UInt64(tenantID), p + 1) }
                bytes.append(UInt8(ascii: "/"))
            }
            bytes.append(UInt8(ascii: "["))
            bytes.append(contentsOf: host().utf8)
            bytes.append(UInt8(ascii: "]"))
            append(upTo: transport.utf8.count + 8) { p in Self.put(port: port, transport: transport, p) }
            return
        }
        append(upTo: tenantKind.utf8.count + transport.utf8.count + 40) { p in
            var n = Self.put(comma: comma, p)
            p[n] = UInt8(ascii: "\""); n += 1
            if !tenantKind.isEmpty {
                n += Self.put(ascii: tenantKind, p + n)
                p[n] = UInt8(ascii: ":"); n += 1
                n += Self.put(UInt64(tenantID), p + n)
                p[n] = UInt8(ascii: "/"); n += 1
            }
            n += Self.put(dottedQuad: ipv4, p + n)
            return n + Self.put(port: port, transport: transport, p + n)
        }
    }

    /// A 64-bit id as a string of 16 lower-case hex digits.
    public mutating func value(hex v: UInt64) {
        let comma = separator()
        append(upTo: 19) { p in
            var n = Self.put(comma: comma, p)
            p[n] = UInt8(ascii: "\""); n += 1
            for i in 0 ..< 16 {
                let d = UInt8(truncatingIfNeeded: (v >> UInt64(60 - 4 * i)) & 0xF)
                p[n + i] = d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") - 10 + d
            }
            p[n + 16] = UInt8(ascii: "\"")
            return n + 17
        }
    }

    // MARK: members (key + value)

    /// `"key":value` members. The common ones are written whole (comma, key, value) into a
    /// small stack buffer and appended once: one capacity and uniqueness check of `bytes` per
    /// member instead of one per piece, which is most of the cost of a record.
    public mutating func field(_ k: StaticString, _ v: String) {
        let comma = member()
        var string = v
        // Fast path: short names that need no escaping, with their key in one append.
        let done: Bool = string.withUTF8 { utf8 in
            guard utf8.count <= 256, !utf8.contains(where: Self.isSpecial) else { return false }
            append(upTo: k.utf8CodeUnitCount + utf8.count + 6) { p in
                var n = Self.put(key: k, comma: comma, p)
                p[n] = UInt8(ascii: "\""); n += 1
                if let base = utf8.baseAddress { (p + n).update(from: base, count: utf8.count) }
                n += utf8.count
                p[n] = UInt8(ascii: "\"")
                return n + 1
            }
            return true
        }
        if done { return }
        append(upTo: k.utf8CodeUnitCount + 4) { Self.put(key: k, comma: comma, $0) }
        appendEscaped(v)
    }

    public mutating func field(_ k: StaticString, _ v: Int64) {
        let comma = member()
        append(upTo: k.utf8CodeUnitCount + 24) { p in
            let n = Self.put(key: k, comma: comma, p)
            return n + Self.put(v, p + n)
        }
    }

    public mutating func field(_ k: StaticString, _ v: UInt64) {
        let comma = member()
        append(upTo: k.utf8CodeUnitCount + 24) { p in
            let n = Self.put(key: k, comma: comma, p)
            return n + Self.put(v, p + n)
        }
    }

    public mutating func field(_ k: StaticString, _ v: Int) { field(k, Int64(v)) }

    public mutating func field(_ k: StaticString, _ v: Bool) {
        let comma = member()
        append(upTo: k.utf8CodeUnitCount + 9) { p in
            let n = Self.put(key: k, comma: comma, p)
            return n + Self.put(v, p + n)
        }
    }

    public mutating func field(_ k: StaticString, _ v: Double) {
        let comma = member()
        append(upTo: k.utf8CodeUnitCount + 34) { p in
            let n = Self.put(key: k, comma: comma, p)
            return n + Self.put(v, p + n)
        }
    }

    public mutating func time(_ k: StaticString, _ nanos: Int64) {
        let comma = member()
        let t = timeParts(nanos)
        append(upTo: k.utf8CodeUnitCount + 36) { p in
            let n = Self.put(key: k, comma: comma, p)
            return n + Self.put(time: t, p + n)
        }
    }

    /// A run of number and boolean members (a record's counters) written through one 1 KiB stack
    /// buffer and appended once. At most ``NumberMembers/capacity`` bytes: 14 members of keys up
    /// to 40 bytes always fit; beyond, the run traps rather than overrun the buffer.
    public mutating func numbers(_ body: (inout NumberMembers) -> Void) {
        let bit: UInt64 = 1 << UInt64(depth - 1)
        let comma = commaBits & bit != 0
        let wrote: Bool = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: NumberMembers.capacity) { buffer in
            guard let base = buffer.baseAddress else { return false }
            var run = NumberMembers(p: base, n: 0, comma: comma)
            body(&run)
            bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: run.n))
            return run.n > 0
        }
        if wrote { commaBits |= bit }
    }

    /// The members of ``numbers(_:)``: the same texts as the `field`s of the writer.
    public struct NumberMembers {
        public static let capacity = 1024
        fileprivate let p: UnsafeMutablePointer<UInt8>
        fileprivate var n: Int
        fileprivate var comma: Bool

        @inline(__always)
        private mutating func key(_ k: StaticString, room: Int) {
            precondition(n + k.utf8CodeUnitCount + 4 + room <= Self.capacity, "JSONWriter.numbers: run too long")
            n += JSONWriter.put(key: k, comma: comma, p + n)
            comma = true
        }

        public mutating func field(_ k: StaticString, _ v: UInt64) { key(k, room: 20); n += JSONWriter.put(v, p + n) }
        public mutating func field(_ k: StaticString, _ v: Int64) { key(k, room: 20); n += JSONWriter.put(v, p + n) }
        public mutating func field(_ k: StaticString, _ v: Int) { field(k, Int64(v)) }
        public mutating func field(_ k: StaticString, _ v: Bool) { key(k, room: 5); n += JSONWriter.put(v, p + n) }
        public mutating func field(_ k: StaticString, _ v: Double) { key(k, room: 28); n += JSONWriter.put(v, p + n) }
        /// A duration in whole microseconds, omitted when negative ("not measured").
        public mutating func micros(_ k: StaticString, _ nanos: Int64) { if nanos >= 0 { field(k, nanos / 1000) } }
    }

    /// Histogram buckets: `[[index,count],...]`, up to 16 pairs per append.
    public mutating func value(pairs: [(index: UInt8, count: UInt64)]) {
        let comma = separator()
        if comma { bytes.append(UInt8(ascii: ",")) }
        var start = 0
        repeat {
            let end = min(pairs.count, start + 16)
            let first = start == 0, last = end == pairs.count
            // 16 pairs of at most `,[255,<20 digits>]` (27 bytes) and the brackets.
            append(upTo: 16 * 27 + 2) { p in
                var n = 0
                if first { p[0] = UInt8(ascii: "["); n = 1 }
                for i in start ..< end {
                    if i > 0 { p[n] = UInt8(ascii: ","); n += 1 }
                    p[n] = UInt8(ascii: "["); n += 1
                    n += Self.put(UInt64(pairs[i].index), p + n)
                    p[n] = UInt8(ascii: ","); n += 1
                    n += Self.put(pairs[i].count, p + n)
                    p[n] = UInt8(ascii: "]"); n += 1
                }
                if last { p[n] = UInt8(ascii: "]"); n += 1 }
                return n
            }
            start = end
        } while start < pairs.count
    }

    /// An IPv4 address member (`"orig_h":"10.0.0.5"`).
    public mutating func field(_ k: StaticString, ipv4 v4: UInt32) {
        let comma = member()
        append(upTo: k.utf8CodeUnitCount + 22) { p in
            var n = Self.put(key: k, comma: comma, p)
            p[n] = UInt8(ascii: "\""); n += 1
            n += Self.put(dottedQuad: v4, p + n)
            p[n] = UInt8(ascii: "\"")
            return n + 1
        }
    }

    /// A string member, omitted when empty.
    public mutating func optional(_ k: StaticString, _ v: String) { if !v.isEmpty { field(k, v) } }
    /// A duration member in whole microseconds, omitted when negative ("not measured").
    public mutating func micros(_ k: StaticString, _ nanos: Int64) { if nanos >= 0 { field(k, nanos / 1000) } }

    /// Ends the record line.
    public mutating func newline() { bytes.append(0x0A) }

    // MARK: internals

    @inline(__always)
    private mutating func separate() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if commaBits & bit != 0 { bytes.append(UInt8(ascii: ",")) } else { commaBits |= bit }
    }

    /// ``separate()`` for writers that put the comma themselves: whether one is needed.
    @inline(__always)
    private mutating func separator() -> Bool {
        guard depth > 0 else { return false }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if commaBits & bit != 0 { return true }
        commaBits |= bit
        return false
    }

    /// `key` + value as one member: whether a comma precedes it (the next member's will).
    @inline(__always)
    private mutating func member() -> Bool {
        let bit: UInt64 = 1 << UInt64(depth - 1)
        defer { commaBits |= bit }
        return commaBits & bit != 0
    }

    /// Appends what `fill` writes (at most `capacity` bytes; it returns how many) through a stack
    /// buffer: one append to `bytes`, no heap allocation.
    @inline(__always)
    private mutating func append(upTo capacity: Int, _ fill: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            guard let base = buffer.baseAddress else { return }
            let n = fill(base)
            bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: n))
        }
    }

    /// Writers into a buffer with room enough; each returns the bytes written.

    @inline(__always)
    private static func put(comma: Bool, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        if comma { p[0] = UInt8(ascii: ",") }
        return comma ? 1 : 0
    }

    /// `,"key":` or `"key":`.
    @inline(__always)
    private static func put(key: StaticString, comma: Bool, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = put(comma: comma, p)
        p[n] = UInt8(ascii: "\""); n += 1
        let count = key.utf8CodeUnitCount
        if key.hasPointerRepresentation {
            // Keys are a few bytes: a loop beats a call to memmove.
            let k = key.utf8Start
            for i in 0 ..< count { p[n + i] = k[i] }
        } else {
            key.withUTF8Buffer { utf8 in if let base = utf8.baseAddress { (p + n).update(from: base, count: count) } }
        }
        n += count
        p[n] = UInt8(ascii: "\""); p[n + 1] = UInt8(ascii: ":")
        return n + 2
    }

    /// Decimal digits of `v` (at most 20), two at a time from a table of "00"..."99".
    @inline(__always)
    private static func put(_ v: UInt64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        if v < 10 { p[0] = UInt8(ascii: "0") + UInt8(v); return 1 }
        var count = 1, t = v
        while t >= 10 { count += 1; t /= 10 }
        let pairs = digitPairs.utf8Start
        var i = count, x = v
        while x >= 100 {
            let r = Int(x % 100)
            x /= 100
            i -= 2
            p[i] = pairs[2 * r]; p[i + 1] = pairs[2 * r + 1]
        }
        if x >= 10 {
            p[i - 2] = pairs[2 * Int(x)]; p[i - 1] = pairs[2 * Int(x) + 1]
        } else {
            p[i - 1] = UInt8(ascii: "0") + UInt8(x)
        }
        return count
    }

    /// "00" to "99" (a literal: no lazy initialisation to check on each use).
    private static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    @inline(__always)
    private static func put(_ v: Int64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        guard v < 0 else { return put(UInt64(v), p) }
        p[0] = UInt8(ascii: "-")
        return 1 + put(v == .min ? UInt64(Int64.max) + 1 : UInt64(-v), p + 1)
    }

    @inline(__always)
    private static func put(_ b: Bool, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        if b {
            p[0] = 0x74; p[1] = 0x72; p[2] = 0x75; p[3] = 0x65
            return 4
        }
        p[0] = 0x66; p[1] = 0x61; p[2] = 0x6C; p[3] = 0x73; p[4] = 0x65
        return 5
    }

    /// Up to 6 decimals, trailing zeros dropped (at most 28 bytes: the whole part is bounded).
    private static func put(_ d: Double, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        guard d.isFinite else { p[0] = UInt8(ascii: "0"); return 1 }
        let scaled = (abs(d) * 1_000_000).rounded()
        var n = 0
        if d < 0 && scaled > 0 { p[0] = UInt8(ascii: "-"); n = 1 }
        let whole = UInt64(min(scaled, 9.2e18)) // bounded: ratios and rates only
        n += put(whole / 1_000_000, p + n)
        var frac = whole % 1_000_000
        guard frac != 0 else { return n }
        p[n] = UInt8(ascii: "."); n += 1
        var digits = 6
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        var i = n + digits - 1
        for _ in 0 ..< digits { p[i] = UInt8(ascii: "0") + UInt8(frac % 10); frac /= 10; i -= 1 }
        return n + digits
    }

    /// A time split for writing: the date's text (cached per day), second of the day, nanoseconds.
    private struct TimeParts {
        var date: (UInt64, UInt16)
        var secondOfDay: Int64
        var fraction: Int64
    }

    /// The same arithmetic as `RFC3339.append` (floor division, year clamped to 0...9999).
    @inline(__always)
    private mutating func timeParts(_ nanos: Int64) -> TimeParts {
        var seconds = nanos / 1_000_000_000
        var fraction = nanos % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secOfDay = seconds % 86_400
        if secOfDay < 0 { secOfDay += 86_400; days -= 1 }
        if days != cachedDay {
            let (y, m, d) = CivilCalendar.civil(fromDays: days)
            var text: (UInt64, UInt16) = (0, 0)
            withUnsafeMutableBytes(of: &text) { raw in
                guard let p = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
                Self.fixed(min(max(y, 0), 9999), 4, p); p[4] = UInt8(ascii: "-")
                Self.fixed(m, 2, p + 5); p[7] = UInt8(ascii: "-")
                Self.fixed(d, 2, p + 8)
            }
            cachedDay = days
            cachedDate = text
        }
        return TimeParts(date: cachedDate, secondOfDay: secOfDay, fraction: fraction)
    }

    /// `"2026-01-01T00:00:00.000000000Z"` (quotes included, 32 bytes): the text of
    /// `RFC3339.append`, written in place.
    @inline(__always)
    private static func put(time t: TimeParts, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = UInt8(ascii: "\"")
        withUnsafeBytes(of: t.date) { raw in
            if let base = raw.baseAddress { (p + 1).update(from: base.assumingMemoryBound(to: UInt8.self), count: 10) }
        }
        p[11] = UInt8(ascii: "T")
        let secOfDay = t.secondOfDay
        fixed(secOfDay / 3600, 2, p + 12); p[14] = UInt8(ascii: ":")
        fixed(secOfDay / 60 % 60, 2, p + 15); p[17] = UInt8(ascii: ":")
        fixed(secOfDay % 60, 2, p + 18); p[20] = UInt8(ascii: ".")
        fixed(t.fraction, 9, p + 21); p[30] = UInt8(ascii: "Z")
        p[31] = UInt8(ascii: "\"")
        return 32
    }

    /// `width` digits of `value`, zero-padded (higher digits dropped, as RFC3339's).
    @inline(__always)
    private static func fixed(_ value: Int64, _ width: Int, _ p: UnsafeMutablePointer<UInt8>) {
        var v = value
        var i = width - 1
        while i >= 0 {
            p[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v > 0 ? v % 10 : 0)
            v = v > 0 ? v / 10 : 0
            i -= 1
        }
    }

    /// `a.b.c.d` (at most 15 bytes).
    @inline(__always)
    private static func put(dottedQuad v4: UInt32, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = put(UInt64(v4 >> 24), p); p[n] = UInt8(ascii: "."); n += 1
        n += put(UInt64((v4 >> 16) & 0xFF), p + n); p[n] = UInt8(ascii: "."); n += 1
        n += put(UInt64((v4 >> 8) & 0xFF), p + n); p[n] = UInt8(ascii: "."); n += 1
        return n + put(UInt64(v4 & 0xFF), p + n)
    }

    /// `:443/tcp"` (the end of a service id).
    @inline(__always)
    private static func put(port: UInt16, transport: String, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = UInt8(ascii: ":")
        var n = 1 + put(UInt64(port), p + 1)
        p[n] = UInt8(ascii: "/"); n += 1
        n += put(ascii: transport, p + n)
        p[n] = UInt8(ascii: "\"")
        return n + 1
    }

    /// The UTF-8 of a short trusted name (transport, encapsulation).
    @inline(__always)
    private static func put(ascii s: String, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        for b in s.utf8 { p[n] = b; n += 1 }
        return n
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether a byte needs the slow path of ``appendEscaped(_:)``.
    @inline(__always)
    private static func isSpecial(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xE2
    }

    private mutating func appendEscaped(_ s: String) {
        // Fast path: most names need no escaping; copy them in one append.
        var string = s
        let done: Bool = string.withUTF8 { buffer in
            for b in buffer where Self.isSpecial(b) { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: buffer)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if done { return }
        bytes.append(UInt8(ascii: "\""))
        var utf8 = s.utf8.makeIterator()
        while let b = utf8.next() {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20, 0x7F: appendUnicodeEscape(UInt16(b))
            case 0xE2:
                // U+2028/U+2029 (E2 80 A8/A9) are valid JSON but break JavaScript line parsing.
                let b2 = utf8.next(), b3 = utf8.next()
                if b2 == 0x80, let b3, b3 == 0xA8 || b3 == 0xA9 {
                    appendUnicodeEscape(0x2000 | UInt16(b3 - 0xA8 + 0x28))
                } else {
                    bytes.append(b)
                    if let b2 { bytes.append(b2) }
                    if let b3 { bytes.append(b3) }
                }
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendUnicodeEscape(_ u: UInt16) {
        bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"),
                                  Self.hex[Int(u >> 12)], Self.hex[Int((u >> 8) & 0xF)],
                                  Self.hex[Int((u >> 4) & 0xF)], Self.hex[Int(u & 0xF)]])
    }
}
