/// The pairs of a field whose keys fit 16 bits and that only some packets carry (VLAN ids, the
/// protocol after an IPv6 fragment header), kept as two parallel arrays: the serializer groups
/// them with the same counting sort as the row fields.
final class Key16Column {
    let keys: FlatBuffer<UInt16>
    let ordinals: FlatBuffer<UInt32>

    init(capacity: Int) {
        keys = FlatBuffer(capacity: capacity)
        ordinals = FlatBuffer(capacity: capacity)
    }

    /// Exchanges storage with `other` (see ``FlatBuffer/swapStorage(with:)``).
    func swapStorage(with other: Key16Column) {
        keys.swapStorage(with: other.keys)
        ordinals.swapStorage(with: other.ordinals)
    }

    var count: Int { keys.count }

    @inline(__always)
    func append(_ key: UInt16, _ ordinal: UInt32) {
        keys.append(key)
        ordinals.append(ordinal)
    }

    func removeAll() {
        keys.removeAll()
        ordinals.removeAll()
    }
}
