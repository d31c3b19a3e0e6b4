extension WorkerCounters {
    /// The counters of every worker added up (`agent_health`, `status`). Peaks add up too: an
    /// upper bound of the true peak of the sum.
    static func sum(_ all: [WorkerCounters]) -> WorkerCounters {
        var total = WorkerCounters()
        for c in all {
            total.flows.add(c.flows)
            total.edgesOverflow &+= c.edgesOverflow
            total.busyNanos &+= c.busyNanos
            if let r = c.reassembly {
                var t = total.reassembly ?? StreamReassemblyCounters()
                t.add(r)
                total.reassembly = t
            }
        }
        return total
    }
}

extension FlowCounters {
    mutating func add(_ o: FlowCounters) {
        packets &+= o.packets
        flowPackets &+= o.flowPackets
        nonIPPackets &+= o.nonIPPackets
        flowsCreated &+= o.flowsCreated
        flowsExpired &+= o.flowsExpired
        flowsEvicted &+= o.flowsEvicted
        flowsReused &+= o.flowsReused
        untrackedPackets &+= o.untrackedPackets
        activeFlows &+= o.activeFlows
        orphanFragments &+= o.orphanFragments
        icmpErrorsAttributed &+= o.icmpErrorsAttributed
        icmpErrorsUnattributed &+= o.icmpErrorsUnattributed
        for i in 0 ..< min(anomalies.count, o.anomalies.count) { anomalies[i] &+= o.anomalies[i] }
    }
}

extension StreamReassemblyCounters {
    mutating func add(_ o: StreamReassemblyCounters) {
        segmentsHeld &+= o.segmentsHeld
        holesSkipped &+= o.holesSkipped
        holeBytes &+= o.holeBytes
        capHoles &+= o.capHoles
        holesInsideBodies &+= o.holesInsideBodies
        overlapConflicts &+= o.overlapConflicts
        messageStartsTruncated &+= o.messageStartsTruncated
        desynchronisations &+= o.desynchronisations
        bytesHeld &+= o.bytesHeld
        peakBytesHeld &+= o.peakBytesHeld
    }
}
