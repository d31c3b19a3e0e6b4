/// A read position inside a handshake message with two limits: the end its length fields declare
/// and the end of the bytes actually present. Exceeding the first is a lie (malformed); exceeding
/// only the second is a cut (incomplete).
struct TLSCursor {
    var position: Int
    var declaredEnd: Int
    var availableEnd: Int

    /// `.ok` if `n` bytes can be read at the position, else which limit stops them.
    @inline(__always)
    func need(_ n: Int) -> TLSParseStatus {
        if n < 0 || position + n > declaredEnd { return .malformedHandshake }
        if position + n > availableEnd { return .incomplete }
        return .ok
    }

    /// A cursor over the next `length` bytes (a nested vector), which must fit in the declared end.
    @inline(__always)
    func nested(_ length: Int) -> TLSCursor? {
        guard length >= 0, position + length <= declaredEnd else { return nil }
        return TLSCursor(position: position, declaredEnd: position + length,
                         availableEnd: min(availableEnd, position + length))
    }
}
