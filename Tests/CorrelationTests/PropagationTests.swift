import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

/// A random acyclic model: endpoints at the bottom, edges only to nodes declared later.
func randomInventory(_ rng: inout SplitMix64) -> Inventory {
    let endpoints = Int.random(in: 2...8, using: &rng)
    let inner = Int.random(in: 2...12, using: &rng)
    var nodes: [Node] = (0..<endpoints).map { Node(id: "10.0.0.\($0 + 1):80/tcp", kind: .endpoint) }
    let reduces: [ReduceFunction] = [.worst, .best, .quorumCount(2), .quorumWeight(2.5), .score(.default)]
    let maps: [MapFunction] = [.identity, .identity, .increase, .decrease, .setTo(.degraded), .ignore]
    for i in 0..<inner {
        var rules: [Rule] = []
        if Int.random(in: 0..<4, using: &rng) == 0 { rules.append(Rule(atLeast: 2, state: .degraded, then: .down)) }
        nodes.append(Node(id: "n\(i)", kind: i == inner - 1 ? .application : .service, reduce: reduces.randomElement(using: &rng)!, rules: rules))
    }
    var edges: [ImpactEdge] = []
    for (pi, parent) in nodes.enumerated() where parent.kind != .endpoint {
        let count = Int.random(in: 1...3, using: &rng)
        for _ in 0..<count {
            let ci = Int.random(in: 0..<pi, using: &rng)
            let child = nodes[ci].id
            if edges.contains(where: { $0.child == child && $0.parent == parent.id }) { continue }
            let group: String? = Int.random(in: 0..<4, using: &rng) == 0 ? "g" : nil
            edges.append(ImpactEdge(child: child, parent: parent.id, map: maps.randomElement(using: &rng)!,
                                    weight: Double(Int.random(in: 1...3, using: &rng)), group: group))
        }
    }
    return Inventory(nodes: nodes, edges: edges)
}

@Suite("Propagation")
struct PropagationTests {
    @Test("incremental propagation equals full recomputation on random models", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func incrementalEqualsFull(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<25 {
            let inv = randomInventory(&rng)
            try inv.validate()
            var incremental = Propagator(graph: Graph(inv))
            let leaves = inv.nodes.filter { $0.kind == .endpoint }.map(\.id)
            let others = inv.nodes.filter { $0.kind != .endpoint }.map(\.id)
            for step in 0..<40 {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0:
                    incremental.setMaintenance(Set(others.filter { _ in Bool.random(using: &rng) }.prefix(2)))
                case 2:
                    var batch: [String: LeafInput] = [:]
                    for leaf in leaves where Bool.random(using: &rng) { batch[leaf] = LeafInput(state: Health.allCases.randomElement(using: &rng)!) }
                    incremental.setLeaves(batch)
                case 1:
                    incremental.setAcknowledged(Set((leaves + others).filter { _ in Int.random(in: 0..<4, using: &rng) == 0 }))
                default:
                    let leaf = leaves.randomElement(using: &rng)!
                    let state = Health.allCases.randomElement(using: &rng)!
                    incremental.setLeaf(leaf, LeafInput(state: state, causes: state == .ok ? [] : ["agent"], idle: Bool.random(using: &rng)))
                }
                var full = incremental
                full.recomputeAll()
                #expect(full.status == incremental.status, "seed \(seed) step \(step)")
            }
        }
    }

    @Test("incremental propagation recomputes only ancestors")
    func onlyAncestors() throws {
        let inv = try Inventory.parse(yaml: shopYAML)
        var p = Propagator(graph: Graph(inv))
        p.setLeaf("10.0.0.7:5432/tcp", LeafInput(state: .down, causes: ["a"]))
        // db endpoint -> db -> shop: at most 3 nodes recomputed, never the web side or the site.
        #expect(p.lastRecomputed <= 3)
    }

    @Test("root-cause path: the application names the failing endpoint through the service")
    func rootCause() throws {
        let inv = try Inventory.parse(yaml: shopYAML)
        var p = Propagator(graph: Graph(inv))
        for id in ["10.0.0.5:443/tcp", "10.0.0.6:443/tcp", "10.0.0.7:5432/tcp", "[2001:db8::1]:53/udp"] {
            p.setLeaf(id, LeafInput(state: .ok))
        }
        #expect(p.status["shop"]?.state == .ok)
        #expect(p.status["shop"]?.causes == [])
        p.setLeaf("10.0.0.7:5432/tcp", LeafInput(state: .down, causes: ["edge-paris-01"]))
        let shop = try #require(p.status["shop"])
        #expect(shop.state == .down)
        #expect(shop.causes == ["db"])
        #expect(shop.rootCauses == ["10.0.0.7:5432/tcp"])
        #expect(p.status["10.0.0.7:5432/tcp"]?.causes == ["edge-paris-01"])
        // Redundancy: one web front end down is absorbed (best), both down is not.
        p.setLeaf("10.0.0.7:5432/tcp", LeafInput(state: .ok))
        p.setLeaf("10.0.0.5:443/tcp", LeafInput(state: .down))
        #expect(p.status["web"]?.state == .ok)
        p.setLeaf("10.0.0.6:443/tcp", LeafInput(state: .degraded))
        #expect(p.status["web"]?.state == .degraded)
        #expect(p.status["shop"]?.rootCauses == ["10.0.0.6:443/tcp"])
        // set:WARNING on the dns edge: dns DOWN makes the shop WARNING only.
        p.setLeaf("10.0.0.6:443/tcp", LeafInput(state: .ok))
        p.setLeaf("[2001:db8::1]:53/udp", LeafInput(state: .down))
        #expect(p.status["dns"]?.state == .down)
        #expect(p.status["shop"]?.state == .warning)
        #expect(p.status["shop"]?.rootCauses == ["[2001:db8::1]:53/udp"])
    }

    @Test("UNKNOWN leaves lower coverage, never make a parent DOWN")
    func coverage() throws {
        let inv = try Inventory.parse(yaml: shopYAML)
        var p = Propagator(graph: Graph(inv))
        #expect(p.status["shop"]?.state == .unknown)
        #expect(p.status["shop"]?.coverage == 0)
        p.setLeaf("10.0.0.7:5432/tcp", LeafInput(state: .ok))
        let shop = try #require(p.status["shop"])
        #expect(shop.state == .ok)
        #expect(shop.coverage > 0 && shop.coverage < 1)
    }

    @Test("redundancy groups count as one input, their best member")
    func groups() throws {
        let inv = try Inventory.parse(yaml: """
            nodes: [{id: "10.0.0.1:80/tcp", kind: endpoint}, {id: "10.0.0.2:80/tcp", kind: endpoint}, {id: "10.0.0.3:80/tcp", kind: endpoint}, {id: s, kind: service}]
            edges:
              - {child: "10.0.0.1:80/tcp", parent: s, group: lb}
              - {child: "10.0.0.2:80/tcp", parent: s, group: lb}
              - {child: "10.0.0.3:80/tcp", parent: s}
            """)
        var p = Propagator(graph: Graph(inv))
        p.setLeaf("10.0.0.1:80/tcp", LeafInput(state: .down))
        p.setLeaf("10.0.0.2:80/tcp", LeafInput(state: .ok))
        p.setLeaf("10.0.0.3:80/tcp", LeafInput(state: .ok))
        #expect(p.status["s"]?.state == .ok)
        p.setLeaf("10.0.0.2:80/tcp", LeafInput(state: .down))
        #expect(p.status["s"]?.state == .down)
        #expect(p.status["s"]?.causes == ["10.0.0.1:80/tcp", "10.0.0.2:80/tcp"])
    }

    @Test("maintenance: the node shows its state, its parents see OK; acknowledgement aggregates")
    func maintenance() throws {
        let inv = try Inventory.parse(yaml: shopYAML)
        var p = Propagator(graph: Graph(inv))
        for id in ["10.0.0.5:443/tcp", "10.0.0.6:443/tcp", "10.0.0.7:5432/tcp", "[2001:db8::1]:53/udp"] { p.setLeaf(id, LeafInput(state: .ok)) }
        p.setLeaf("10.0.0.7:5432/tcp", LeafInput(state: .down))
        #expect(p.status["shop"]?.state == .down)
        p.setMaintenance(["db"])
        #expect(p.status["db"]?.state == .down)
        #expect(p.status["db"]?.maintenance == true)
        #expect(p.status["shop"]?.state == .ok)
        p.setMaintenance(["10.0.0.7:5432/tcp"])
        #expect(p.status["db"]?.maintenance == true)   // its only child is in maintenance
        #expect(p.status["shop"]?.state == .ok)
        p.setMaintenance([])
        #expect(p.status["shop"]?.state == .down)
        #expect(p.status["shop"]?.acknowledged == false)
        p.setAcknowledged(["10.0.0.7:5432/tcp"])
        #expect(p.status["db"]?.acknowledged == true)
        #expect(p.status["shop"]?.acknowledged == true)
        #expect(p.status["shop"]?.state == .down)       // acknowledged still propagates
    }

    @Test("what-if on a copy leaves the original untouched")
    func whatIfCopy() throws {
        let inv = try Inventory.parse(yaml: shopYAML)
        var live = Propagator(graph: Graph(inv))
        live.setLeaf("10.0.0.7:5432/tcp", LeafInput(state: .ok))
        let before = live.status
        var copy = live
        copy.force("db", .down)
        #expect(copy.status["shop"]?.state == .down)
        #expect(copy.status["db"]?.forced == true)
        #expect(live.status == before)
    }

    @Test("flap detector")
    func flapping() {
        var f = FlapDetector(threshold: 3, window: 60)
        let r0 = f.record("a", at: 0), r1 = f.record("a", at: 10), r2 = f.record("a", at: 20)
        #expect(!r0 && !r1 && r2)
        #expect(f.isFlapping("a", at: 30))
        #expect(!f.isFlapping("a", at: 75))
        let r3 = f.record("a", at: 100)
        #expect(!r3)
    }

    @Test("dedup keeps the contiguous high-water mark plus a bounded set above it")
    func dedup() {
        var d = DedupTracker(maxAbove: 4)
        let i1 = d.insert(agent: "a", epoch: 1, seq: 1), i3 = d.insert(agent: "a", epoch: 1, seq: 3)
        let i3again = d.insert(agent: "a", epoch: 1, seq: 3), i2 = d.insert(agent: "a", epoch: 1, seq: 2)
        #expect(i1 && i3 && !i3again && i2)
        #expect(d.marks[.init(agent: "a", epoch: 1)] == .init(high: 3, above: []))
        let newEpoch = d.insert(agent: "a", epoch: 2, seq: 1)   // a new epoch starts again
        #expect(newEpoch)
        for s in [10, 11, 12, 13, 14] as [Int64] { let ok = d.insert(agent: "a", epoch: 1, seq: s); #expect(ok) }
        let m = d.marks[.init(agent: "a", epoch: 1)]!
        #expect(m.above.count <= 4)
        let again10 = d.insert(agent: "a", epoch: 1, seq: 10), again1 = d.insert(agent: "a", epoch: 1, seq: 1)
        #expect(!again10 && !again1)
    }
}
