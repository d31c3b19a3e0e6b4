/// What operators decided: maintenance windows and acknowledgements. Guarded by the correlator's
/// state lock (a value owned by `Correlator`); the checks that answer an operator's request with an
/// error stay in `Correlator+OperatorActions.swift`, which owns the error texts.
struct OperatorActions {
    private(set) var maintenance: [MaintenanceWindow]
    private var nextMaintenanceID: Int64
    /// node -> its acknowledgement.
    private(set) var acks: [String: Acknowledgement] = [:]

    init(maintenance: [MaintenanceWindow], acknowledgements: [Acknowledgement]) {
        self.maintenance = maintenance
        nextMaintenanceID = (maintenance.map(\.id).max() ?? 0) + 1
        for a in acknowledgements { acks[a.node] = a }
    }

    /// The nodes under an active window at `now`.
    func activeMaintenance(at now: Double) -> Set<String> {
        Set(maintenance.filter { $0.isActive(at: now) }.map(\.node))
    }

    var acknowledgedNodes: Set<String> { Set(acks.keys) }

    func hasWindow(_ id: Int64) -> Bool { maintenance.contains { $0.id == id } }

    /// Adds a window with the next id.
    mutating func addWindow(node: String, start: Double, end: Double, comment: String?) -> MaintenanceWindow {
        let w = MaintenanceWindow(id: nextMaintenanceID, node: node, start: start, end: end, comment: comment)
        nextMaintenanceID += 1
        maintenance.append(w)
        return w
    }

    mutating func removeWindow(_ id: Int64) { maintenance.removeAll { $0.id == id } }

    /// The windows as the shared store holds them (ids stay unique across instances).
    mutating func replaceWindows(_ m: [MaintenanceWindow]) {
        maintenance = m
        nextMaintenanceID = max(nextMaintenanceID, (m.map(\.id).max() ?? 0) + 1)
    }

    mutating func setAcknowledgement(_ a: Acknowledgement?, node: String) { acks[node] = a }

    /// The acknowledgements as the shared store holds them.
    mutating func replaceAcknowledgements(_ a: [Acknowledgement]) {
        acks = Dictionary(a.map { ($0.node, $0) }, uniquingKeysWith: { $1 })
    }
}
