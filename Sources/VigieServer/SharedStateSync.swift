import Correlation
import Foundation
import Logging
import ServiceLifecycle
import SystemIO

/// With a shared PostgreSQL store: applies what the other server instances write (their
/// partitions' views, agents, inventory edits…) as soon as they `NOTIFY`, and at least every
/// second. The blocking wait runs on a thread of its own, with a connection of its own.
struct SharedStateSync: Service {
    let correlator: Correlator
    let url: String
    let logger: Logger

    func run() async throws {
        let stop = StopFlag()
        let (correlator, url, logger) = (correlator, url, logger)
        try await withGracefulShutdownHandler {
            try await onOwnThread(named: "vigie-shared-sync") {
                let listener = try PostgresChangeListener(url: url)
                var failing = false
                while !stop.isSet {
                    _ = listener.wait(timeoutMs: 1000)
                    do {
                        try correlator.absorbSharedChanges()
                        if failing { logger.notice("shared store reachable again") }
                        failing = false
                    } catch {
                        if !failing { logger.error("cannot read other instances' changes", metadata: ["error": "\(error)"]) }
                        failing = true
                    }
                }
            }
        } onGracefulShutdown: {
            stop.set()
        }
    }
}
