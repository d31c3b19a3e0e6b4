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
        // Stopped by a graceful shutdown, and by a cancelled group too (a thread does not see either).
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await onOwnThread(named: "vigie-shared-sync") {
                    guard let listener = Self.listener(url: url, stop: stop, logger: logger) else { return }
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
        } onCancel: {
            stop.set()
        }
    }

    /// The listening connection, retried every second while the database refuses it (restarting,
    /// its disk full): a database outage must not stop the server. Nil once stopped.
    static func listener(url: String, stop: StopFlag, logger: Logger) -> PostgresChangeListener? {
        var logged = false
        while !stop.isSet {
            do {
                let listener = try PostgresChangeListener(url: url)
                if logged { logger.notice("listening to other instances' changes") }
                return listener
            } catch {
                if !logged { logger.error("cannot listen to other instances' changes yet; retrying", metadata: ["error": "\(error)"]) }
                logged = true
                Thread.sleep(forTimeInterval: 1)
            }
        }
        return nil
    }
}
