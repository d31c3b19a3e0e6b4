import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// The agents' pins (docs/pins.md), as their `pin` records report them, each linked to the
    /// drill-down of its service over its range: the packets an incident kept.
    enum AgentPinRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/pins") { request, _, api -> Response in
                let ended: Bool
                switch flag(request, "ended") { case .failure(let r): return r.response; case .success(let v): ended = v }
                let pins = api.correlator.agentPins(service: parameter(request, "service"), agent: parameter(request, "agent"), ended: ended)
                return json(pins.map(PinView.init))
            },
        ]
    }
}

/// A pin as the API shows it: times in RFC 3339, and the drill-down that extracts its packets.
struct PinView: Encodable {
    var agent: String; var id: String; var from: String; var to: String; var reason: String?; var service: String?
    var state: String?; var origin: String?; var lastAction: String; var updated: String; var drilldown: String?

    init(_ a: AgentPin) {
        let p = a.pin
        agent = a.agent; id = p.id; from = Timestamp.format(p.from); to = Timestamp.format(p.to); reason = p.reason
        service = p.service; state = p.state; origin = p.origin; lastAction = p.action.rawValue; updated = Timestamp.format(a.updated)
        drilldown = p.service.map {
            "/api/v1/drilldown/packets?service=\(DrillDown.percentEncode($0))&from=\(DrillDown.percentEncode(from))&to=\(DrillDown.percentEncode(to))"
        }
    }
}
