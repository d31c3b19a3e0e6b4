/// Immutable byte strings packed into one allocation, addressed by index.
final class ByteTable {
    private let storage: UnsafeMutableRawPointer
    private let offsets: [Int]

    init(_ entries: [[UInt8]]) {
        var offsets = [0]
        for e in entries { offsets.append(offsets.last! + e.count) }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, offsets.last!), alignment: 16)
        for (i, e) in entries.enumerated() where !e.isEmpty {
            e.withUnsafeBytes { (storage + offsets[i]).copyMemory(from: $0.baseAddress!, byteCount: e.count) }
        }
        self.storage = storage
        self.offsets = offsets
    }

    convenience init(strings: [String]) {
        self.init(strings.map { Array($0.utf8) })
    }

    deinit { storage.deallocate() }

    var count: Int { offsets.count - 1 }

    @inline(__always)
    func pointer(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(storage + offsets[i]) }

    @inline(__always)
    func length(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }
}

/// The host-name pool: `svcNNN.example.com`, in dotted form (HTTP Host, TLS SNI) and DNS
/// wire form. Name `i` is served by server `i % servers`. Names past `count` do not exist
/// (NXDOMAIN).
struct NamePool {
    /// Resolvable names.
    let count: Int
    /// Extra names that resolve to NXDOMAIN.
    let missingCount: Int
    let dotted: ByteTable
    let wire: ByteTable

    init(servers: Int) {
        count = min(max(servers * 4, 64), 100_000)
        missingCount = 256
        var dottedNames: [[UInt8]] = []
        var wireNames: [[UInt8]] = []
        for i in 0..<(count + missingCount) {
            let digits = String(i)
            let label = "svc" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
            dottedNames.append(Array((label + ".example.com").utf8))
            wireNames.append([UInt8(label.utf8.count)] + Array(label.utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0])
        }
        dotted = ByteTable(dottedNames)
        wire = ByteTable(wireNames)
    }
}
