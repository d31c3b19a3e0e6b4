/// The spool records a sink has sent but not yet seen confirmed, in send order. Confirmations may
/// arrive out of order (Kafka partitions); the spool is only told about the confirmed *prefix*.
struct DeliveryWindow {
    private var seqs: [UInt64] = []
    private var done: [Bool] = []
    private var head = 0
    /// Where the window started (the first record the sink will send).
    private(set) var base: UInt64

    init(start: UInt64) { base = start }

    var isEmpty: Bool { head == seqs.count }

    var firstUnconfirmed: UInt64? { isEmpty ? nil : seqs[head] }

    mutating func sent(_ seq: UInt64) {
        seqs.append(seq)
        done.append(false)
    }

    func contains(_ seq: UInt64) -> Bool { index(of: seq) != nil }

    /// Marks `seq` confirmed; false when it is not in the window (a report from before a rewind).
    mutating func confirm(_ seq: UInt64) -> Bool {
        guard let i = index(of: seq), !done[i] else { return false }
        done[i] = true
        return true
    }

    /// Drops the confirmed prefix; returns the new spool cursor (first unconfirmed seq) if it moved.
    mutating func advance() -> UInt64? {
        let before = head
        while head < seqs.count && done[head] { head += 1 }
        guard head > before else { return nil }
        let cursor = head < seqs.count ? seqs[head] : seqs[head - 1] &+ 1
        if head > 4096 && head * 2 > seqs.count {
            seqs.removeFirst(head)
            done.removeFirst(head)
            head = 0
        }
        base = cursor
        return cursor
    }

    /// Forgets every record from `seq` on (they will be sent again); returns how many.
    mutating func rewind(to seq: UInt64) -> UInt64 {
        guard let i = index(of: seq) else { return 0 }
        let dropped = UInt64(seqs.count - i)
        seqs.removeSubrange(i...)
        done.removeSubrange(i...)
        return dropped
    }

    /// Seqs are appended in increasing order: binary search the live part.
    private func index(of seq: UInt64) -> Int? {
        var lo = head, hi = seqs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if seqs[mid] < seq { lo = mid + 1 } else { hi = mid }
        }
        return lo < seqs.count && seqs[lo] == seq ? lo : nil
    }
}
