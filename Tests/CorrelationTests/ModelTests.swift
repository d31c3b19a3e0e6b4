import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

@Suite("Inventory model")
struct ModelTests {
    @Test("the YAML example parses and validates")
    func parsesYAML() throws {
        let inv = try Inventory.parse(yaml: shopYAML)
        #expect(inv.nodes.count == 10)
        #expect(inv.edges.count == 8)
        #expect(inv.node("web")?.reduce == .best)
        #expect(inv.edges.last?.map == .setTo(.warning))
        // Round trip through YAML.
        #expect(try Inventory.parse(yaml: inv.yaml()) == inv)
    }

    @Test("a cycle is rejected with an error naming it")
    func cycle() {
        let yaml = """
            nodes: [{id: a, kind: service}, {id: b, kind: service}, {id: c, kind: application}]
            edges: [{child: a, parent: b}, {child: b, parent: c}, {child: c, parent: a}]
            """
        #expect {
            _ = try Inventory.parse(yaml: yaml)
        } throws: { error in
            guard let e = error as? InventoryError, case .cycle(let path) = e.kind else { return false }
            return path.first == path.last && Set(path) == ["a", "b", "c"] && e.description.hasPrefix("cycle: ")
                && e.description.contains("->")
        }
        let selfLoop = Inventory(nodes: [Node(id: "a", kind: .service)], edges: [ImpactEdge(child: "a", parent: "a")])
        #expect(throws: InventoryError.self) { try selfLoop.validate() }
    }

    @Test("validation errors name the node or edge and the field", arguments: [
        ("nodes: [{id: x, kind: endpoint}]", "node 'x'", "id"),
        ("nodes: [{id: a, kind: service}, {id: a, kind: service}]", "node 'a'", "id"),
        ("nodes: [{id: a, kind: service, reduce: \"quorum:0\"}]", "node 'a'", "reduce"),
        ("nodes: [{id: a, kind: service, reduce: \"score:10/50/40\"}]", "node 'a'", "reduce"),
        ("nodes: [{id: a, kind: service}]\nedges: [{child: a, parent: zz}]", "edge 'a -> zz'", "parent"),
        ("nodes: [{id: a, kind: service}, {id: b, kind: service}]\nedges: [{child: a, parent: b, weight: -1}]", "edge 'a -> b'", "weight"),
        ("nodes: [{id: a, kind: service, rules: [{child: q, state: DOWN, then: DOWN}]}]", "node 'a'", "rules[0].child"),
        ("nodes: [{id: a, kind: planet}]", "nodes[0]", "kind"),
        ("nodes: [{id: a, kind: service, reduce: median}]", "nodes[0]", "reduce"),
        ("nodes: [{id: a, kind: service}, {id: b, kind: service}]\nedges: [{child: a, parent: b, map: \"set:PURPLE\"}]", "edges[0]", "map"),
        ("nodes: [{kind: service}]", "nodes[0]", "id"),
    ])
    func validation(yaml: String, subject: String, field: String) {
        do {
            _ = try Inventory.parse(yaml: yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.subject == subject, "\(error)")
            #expect(error.field == field, "\(error)")
        }
    }

    @Test("service ids", arguments: [
        ("10.0.0.5:443/tcp", true), ("[2001:db8::1]:53/udp", true), ("10.0.0.5:443", false), ("2001:db8::1:53/udp", false),
        ("10.0.0.5:70000/tcp", false), (":443/tcp", false), ("[]:53/udp", false), ("host.example:80/sctp", true),
    ])
    func serviceIDs(text: String, valid: Bool) {
        #expect((ServiceID(text) != nil) == valid)
    }
}

@Suite("Map and reduce functions")
struct FunctionTests {
    @Test("map functions", arguments: [
        (MapFunction.identity, Health.ok, Health?.some(.ok)), (.identity, .down, .down), (.identity, .unknown, .unknown),
        (.increase, .ok, .warning), (.increase, .warning, .degraded), (.increase, .degraded, .down), (.increase, .down, .down), (.increase, .unknown, .unknown),
        (.decrease, .down, .degraded), (.decrease, .degraded, .warning), (.decrease, .warning, .ok), (.decrease, .ok, .ok), (.decrease, .unknown, .unknown),
        (.setTo(.warning), .down, .warning), (.setTo(.warning), .degraded, .warning), (.setTo(.down), .warning, .down), (.setTo(.down), .ok, .ok),
        (.setTo(.down), .unknown, .unknown),
        (.ignore, .down, nil), (.ignore, .ok, nil), (.ignore, .unknown, nil),
    ])
    func map(f: MapFunction, input: Health, expected: Health?) {
        #expect(f.apply(input) == expected)
        #expect(MapFunction(text: f.description) == f)
    }

    static func inputs(_ states: [Health], weights: [Double]? = nil) -> [ReduceFunction.Input] {
        states.enumerated().map { .init(id: "c\($0.offset)", state: $0.element, weight: weights?[$0.offset] ?? 1) }
    }

    @Test("reduce functions", arguments: [
        (ReduceFunction.worst, [Health.ok, .warning, .down], [Double]?.none, Health.down),
        (.worst, [.ok, .ok], nil, .ok),
        (.worst, [.ok, .unknown], nil, .ok),                 // UNKNOWN is coverage, not DOWN
        (.worst, [.unknown, .unknown], nil, .unknown),
        (.worst, [], nil, .unknown),
        (.best, [.down, .degraded, .down], nil, .degraded),
        (.best, [.down, .unknown], nil, .down),
        (.best, [.ok, .down], nil, .ok),
        (.quorumCount(2), [.ok, .ok, .down], nil, .ok),
        (.quorumCount(2), [.ok, .down, .down], nil, .down),
        (.quorumCount(2), [.ok, .degraded, .down], nil, .degraded),
        (.quorumCount(3), [.ok, .warning], nil, .warning),    // fewer known inputs than the quorum: worst known
        (.quorumWeight(3), [.ok, .down, .down], [3, 1, 1], .ok),
        (.quorumWeight(3), [.ok, .down, .warning], [1, 1, 2], .warning),
        (.quorumWeight(3), [.ok, .down], [1, 1], .down),
        (.score(.default), [.ok, .ok], nil, .ok),              // 100
        (.score(.default), [.ok, .warning], nil, .warning),    // 87.5
        (.score(.default), [.ok, .down], nil, .degraded),      // 50
        (.score(.default), [.ok, .down, .down], nil, .down),   // 33
        (.score(.default), [.ok, .down], [9, 1], .ok),         // 90
        (.score(ScoreThresholds(warning: 80, degraded: 60, down: 40)), [.ok, .warning, .degraded], nil, .warning), // 75
    ])
    func reduce(f: ReduceFunction, states: [Health], weights: [Double]?, expected: Health) {
        let out = f.reduce(Self.inputs(states, weights: weights))
        #expect(out.state == expected)
        if expected == .ok || expected == .unknown { #expect(out.causes.isEmpty) } else { #expect(!out.causes.isEmpty) }
        #expect(ReduceFunction(text: f.description) == f)
    }

    @Test("health score value")
    func scoreValue() {
        let out = ReduceFunction.score(.default).reduce(Self.inputs([.ok, .degraded, .unknown]))
        #expect(out.score == 75)
    }

    @Test("rules escalate", arguments: [
        (Rule(atLeast: 2, state: .degraded, then: .down), [Health.ok, .degraded, .down], true),
        (Rule(atLeast: 2, state: .degraded, then: .down), [.ok, .ok, .down], false),
        (Rule(child: "c0", state: .warning, then: .down), [.warning, .ok], true),
        (Rule(child: "c0", state: .warning, then: .down), [.ok, .down], false),
    ])
    func rules(rule: Rule, states: [Health], fires: Bool) {
        #expect((rule.fires(Self.inputs(states)) != nil) == fires)
    }

    @Test("agent service_state values map onto health")
    func agentStates() {
        #expect(AgentServiceState.up.health == .ok)
        #expect(AgentServiceState.degraded.health == .degraded)
        #expect(AgentServiceState.unreachable.health == .down)
        #expect(AgentServiceState.refused.health == .down)
        #expect(AgentServiceState.idle.health == .ok && AgentServiceState.idle.isIdle)
        #expect(AgentServiceState.unknown.health == .unknown)
    }
}
