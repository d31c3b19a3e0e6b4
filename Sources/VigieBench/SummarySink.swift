import Analytics

/// Tallies what the engine reported, for `analytics --summary` (checked against the generator's
/// own summary).
final class SummarySink: FlowEventSink {
    var states: [String: Int] = [:]
    var kinds: [String: Int] = [:]
    var transactions: [String: Int] = [:]
    var nxdomain = 0, dnsUnanswered = 0, retransmissions = 0, outOfOrder = 0, zeroWindows = 0, rstConnections = 0, interim = 0

    func connection(_ s: ConnSummary) {
        if s.isInterim { interim += 1; return }
        states["\(s.transport.name) \(s.connState)", default: 0] += 1
        retransmissions += Int(s.originatorRetransmissions + s.responderRetransmissions)
        outOfOrder += Int(s.originatorOutOfOrder + s.responderOutOfOrder)
        zeroWindows += Int(s.originatorZeroWindows + s.responderZeroWindows)
        if s.history.contains(where: { "RrIi".contains($0) }) { rstConnections += 1 }
    }
    func transaction(_ t: TransactionSummary) {
        transactions[t.application.name ?? "none", default: 0] += 1
        if t.application == .dns && t.dnsRcode == 3 { nxdomain += 1 }
        if t.application == .dns && t.dnsRcode == -1 { dnsUnanswered += 1 }
    }
    func observe(_ o: ServiceObservation) { kinds["\(o.kind)", default: 0] += 1 }
    func clock(_ nanos: Int64) {}

    func print() {
        Swift.print("conn_state: " + states.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        Swift.print("observations: " + kinds.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        Swift.print("transactions: " + transactions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    + "; DNS NXDOMAIN \(nxdomain), unanswered \(dnsUnanswered)")
        Swift.print("retransmissions \(retransmissions), out-of-order \(outOfOrder), zero windows \(zeroWindows), connections with RST \(rstConnections), interim records \(interim)")
    }
}
