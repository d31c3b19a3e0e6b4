/// A range of bytes inside a buffer the caller owns: the payload given to a parser (HTTP, TLS
/// fields are never copied) or the name scratch buffer (DNS names, which need decompression).
///
/// A span is plain data: it is only meaningful together with the buffer it was produced from, and
/// only while that buffer is alive and unchanged.
public struct ByteSpan: Sendable, Hashable {
    /// Offset of the first byte in the buffer.
    public var offset: Int
    /// Number of bytes.
    public var length: Int

    /// The empty span.
    public static let empty = ByteSpan(offset: 0, length: 0)

    /// Creates a span of `length` bytes at `offset`.
    @inlinable
    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    /// Whether the span holds no bytes.
    @inlinable
    public var isEmpty: Bool { length <= 0 }

    /// The span's bytes decoded as UTF-8 (invalid sequences repaired), or "" when the span does not
    /// lie inside `buffer`.
    ///
    /// Allocates: NOT for the per-packet hot path (use it for logging, tests, or once per new flow).
    public func string(in buffer: UnsafeRawBufferPointer) -> String {
        guard offset >= 0, length > 0, offset <= buffer.count - length,
              let base = buffer.baseAddress else { return "" }
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: length)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``string(in:)`` for a mutable buffer such as the DNS name scratch. Allocates; not hot path.
    public func string(in buffer: UnsafeMutableRawBufferPointer) -> String {
        string(in: UnsafeRawBufferPointer(buffer))
    }

    /// Whether the span's bytes equal `ascii`, ignoring ASCII case. Allocation-free.
    public func equalsIgnoringCase(_ ascii: StaticString, in buffer: UnsafeRawBufferPointer) -> Bool {
        guard offset >= 0, length == ascii.utf8CodeUnitCount, offset <= buffer.count - length else { return false }
        let bytes = PayloadBytes(buffer)
        let expected = ascii.utf8Start
        for i in 0..<length where ASCII.lower(bytes.u8(offset + i)) != ASCII.lower(expected[i]) {
            return false
        }
        return true
    }
}
