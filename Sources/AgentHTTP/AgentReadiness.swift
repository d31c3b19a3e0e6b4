import Agent
import Foundation
import SystemIO

/// What `/readyz` checks, by what the process does.
public enum AgentReadiness: Sendable {
    /// `vigie-agent serve` (queries over a store another process writes): ready while the store's
    /// catalog is there.
    case storeReadable
    /// `capture` or `ingest` serving its API: ready while the capture thread reports (its status is
    /// fresher than `maxStatusAge` seconds), the store stores, and the export spool has room.
    case capturing(maxStatusAge: Double = 10)

    /// Why the agent is not ready; empty when it is.
    public func reasons(layout: StoreLayout, now: Date = Date()) -> [String] {
        guard FileSystem.isDirectory(layout.catalogDirectory) else { return ["the store has no catalog"] }
        guard case .capturing(let maxAge) = self else { return [] }
        guard let report = try? StatusReport.read(layout: layout) else { return ["the capture has not reported yet"] }
        var reasons: [String] = []
        if !report.running { reasons.append("the capture has stopped") }
        let age = now.timeIntervalSince(report.updatedAt)
        if report.running, age > maxAge {
            reasons.append("the capture thread last reported \(Int(age)) s ago (more than \(Int(maxAge)) s: stuck?)")
        }
        let store = report.storage
        if store.state != .storing {
            reasons.append("the store is not storing (\(store.state.rawValue)\(store.lastError.map { ": \($0)" } ?? ""))")
        }
        if let spool = report.export?.spool {
            if spool.quotaBytes > 0, spool.bytes >= spool.quotaBytes {
                reasons.append("the export spool is full (\(spool.bytes) of \(spool.quotaBytes) bytes)")
            }
            if let e = spool.writeError { reasons.append("the export spool cannot write: \(e)") }
        }
        return reasons
    }
}
