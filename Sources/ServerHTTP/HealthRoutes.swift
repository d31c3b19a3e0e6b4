import Correlation
import Foundation
import Hummingbird
import SystemIO

extension ServerAPI {
    /// Probes for load balancers, orchestrators and monitors, with no credential:
    /// `/healthz` (the process serves) and `/readyz` (its database answers, and its other
    /// dependencies — the Kafka consumer group when configured — are in place).
    enum HealthRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "healthz") { _, _, _ -> Response in Response(status: .ok) },
            APIRoute(.get, "readyz") { _, _, api -> Response in
                // The database round trip blocks: off the async pool.
                let reasons = await BlockingWork.run { () -> [String] in
                    var reasons: [String] = []
                    if let problem = api.correlator.databaseProblem() { reasons.append("the database does not answer: \(problem)") }
                    for check in api.config.readinessChecks { if let problem = check() { reasons.append(problem) } }
                    return reasons
                }
                guard reasons.isEmpty else { return Problem.make(503, "not ready: " + reasons.joined(separator: "; ")).response() }
                return Response(status: .ok)
            },
        ]
    }
}
