import Correlation
import Fleet
import Foundation
import Testing
import VigieTestSupport

/// The agent registry and its versioned central configuration (docs/fleet.md).
@Suite("Fleet registry")
struct FleetRegistryTests {
    static func registration(_ agent: String, group: String? = "paris", applied: Int64 = 0) -> AgentRegistration {
        AgentRegistration(agent: agent, version: "0.1.0", capabilities: ["capture"], interfaces: ["eth1"], queryAPI: "https://10.0.0.1:8470",
                          hostname: "h-\(agent)", group: group, tags: ["edge"], appliedVersion: applied)
    }

    @Test("an agent's document overrides its group's key by key; versions only grow; sources named")
    func mergeAndVersions() throws {
        let fleet = try FleetRegistry(store: nil)
        try fleet.putGroup(AgentGroup(name: "paris", site: "PAR"), who: "ops", now: 1)
        _ = try fleet.register(Self.registration("a1"), authenticated: true, now: 2)
        let v0 = fleet.desired("a1").version
        let g = try fleet.putDocument(.group("paris"), yaml: "capture:\n  prefilter: udp\nindex:\n  fields: [default, dns.qname]\n", who: "ops", comment: nil, now: 3)
        let a = try fleet.putDocument(.agent("a1"), yaml: "index:\n  fields: [default]\nstorage:\n  quota: 1GiB\n", who: "ops", comment: "small disk", now: 4)
        #expect(g.revision > v0 && a.revision > g.revision)
        let d = fleet.desired("a1")
        #expect(d.version == a.revision)
        #expect(d.sources == ["group:paris@\(g.revision)", "agent:a1@\(a.revision)"])
        let merged = try #require(try CentralKeys.check(d.yaml))
        #expect(CentralKeys.text(merged) == CentralKeys.text(try CentralKeys.check("capture: {prefilter: udp}\nindex: {fields: [default]}\nstorage: {quota: 1GiB}\n")))
        // Another agent of the group gets the group's document only.
        _ = try fleet.register(Self.registration("a2"), authenticated: true, now: 5)
        #expect(fleet.desired("a2").sources == ["group:paris@\(g.revision)"])
        #expect(fleet.members(ofGroup: "paris") == ["a1", "a2"])
        // Deleting the agent's document: a newer version without its keys.
        let deleted = try fleet.putDocument(.agent("a1"), yaml: nil, who: "ops", comment: nil, now: 6)
        #expect(fleet.desired("a1").version == deleted.revision && fleet.desired("a1").sources == ["group:paris@\(g.revision)"])
        // Moving an agent to another group is a change of its configuration too.
        try fleet.putGroup(AgentGroup(name: "lyon"), who: "ops", now: 7)
        let before = fleet.desired("a2").version
        _ = try fleet.assign(agent: "a2", group: "lyon", who: "ops", now: 8)
        #expect(fleet.desired("a2").version > before && fleet.desired("a2").sources.isEmpty)
        #expect(throws: FleetError.self) { try fleet.deleteGroup("lyon", who: "ops", now: 9) }
        #expect(fleet.history(.agent("a1")).map(\.revision) == [a.revision, deleted.revision])
    }

    @Test("refused documents name the key, and change nothing", arguments: [
        ("api:\n  tokens_file: /x\n", "api"),
        ("capture:\n  interface: eth0\n", "capture.interface"),
        ("export:\n  http:\n    token_file: /x\n", "export.http.token_file"),
        ("fleet:\n  server: http://evil\n", "fleet"),
        ("bogus: 1\n", "bogus"),
        ("capture: [1, 2]\n", "capture"),
        ("capture: {prefilter: [unclosed\n", "(document)"),
    ])
    func refusals(yaml: String, key: String) throws {
        let fleet = try FleetRegistry(store: nil)
        try fleet.putGroup(AgentGroup(name: "g"), who: "ops", now: 1)
        let before = fleet.currentRevision
        do {
            _ = try fleet.putDocument(.group("g"), yaml: yaml, who: "ops", comment: nil, now: 2)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.hasPrefix(key + ":"), "\(error.message)")
        }
        #expect(fleet.currentRevision == before && fleet.history(.group("g")).isEmpty)
    }

    @Test("registrations, groups, documents and audit survive a restart (SQLite)")
    func persistenceSQLite() throws {
        let dir = Support.temporaryDirectory("fleet-registry")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.persistence { try SQLiteStore(directory: dir) }
    }

    @Test("registrations, groups, documents and audit survive a restart (PostgreSQL)",
          .enabled(if: PostgresServer.unavailableReason == nil, "needs PostgreSQL server binaries (apt install postgresql)"))
    func persistencePostgres() throws {
        let pg = try #require(suitePostgres, "PostgreSQL test server did not start")
        let name = "f_" + UUID().uuidString.prefix(8).lowercased()
        try pg.createDatabase(name)
        try Self.persistence { try PostgresStore(url: pg.url(name)).fleetStore() }
    }

    static func persistence(_ open: () throws -> any FleetStorage) throws {
        let expected: DesiredConfig
        do {
            let fleet = try FleetRegistry(store: try open())
            try fleet.putGroup(AgentGroup(name: "paris", site: "PAR", tags: ["a"]), who: "ops", now: 1)
            _ = try fleet.register(Self.registration("a1"), authenticated: true, now: 2)
            _ = try fleet.putDocument(.group("paris"), yaml: "capture:\n  prefilter: tcp\n", who: "ops", comment: nil, now: 3)
            try fleet.report(ConfigStatusReport(agent: "a1", version: 3, outcome: .refused, error: "capture.prefilter: no", key: "capture.prefilter", running: 1), now: 4)
            expected = fleet.desired("a1")
        }
        let fleet = try FleetRegistry(store: try open())
        #expect(fleet.desired("a1") == expected)
        #expect(fleet.group("paris")?.tags == ["a"])
        #expect(fleet.agent("a1")?.status?.key == "capture.prefilter")
        #expect(fleet.authenticatedQueryAPI("a1") == "https://10.0.0.1:8470")
        #expect(fleet.auditEntries(limit: 10).map(\.action) == ["config.put", "agent.register", "group.put"])
        // The next revision continues from the stored ones.
        let next = try fleet.putDocument(.group("paris"), yaml: "capture:\n  prefilter: udp\n", who: "ops", comment: nil, now: 5)
        #expect(next.revision > expected.version)
        #expect(fleet.history(.group("paris")).map(\.yaml) == ["capture:\n  prefilter: tcp\n", "capture:\n  prefilter: udp\n"])
    }

    @Test("a registration from the network is bounded")
    func registrationBounds() throws {
        let fleet = try FleetRegistry(store: nil)
        var r = Self.registration("a1")
        r.queryAPI = "file:///etc/passwd"
        #expect(throws: FleetError.self) { _ = try fleet.register(r, authenticated: false, now: 1) }
        r = Self.registration(String(repeating: "x", count: 200))
        #expect(throws: FleetError.self) { _ = try fleet.register(r, authenticated: false, now: 1) }
        r = Self.registration("a1", group: "../etc")
        #expect(throws: FleetError.self) { _ = try fleet.register(r, authenticated: false, now: 1) }
        #expect(fleet.agentList().isEmpty)
    }

    /// The history's diff against GNU diff (`--minimal`): as many removed and added lines, and
    /// the diff read back gives both texts.
    @Test("line diff: minimal like GNU diff, and both texts read back", .enabled(if: Support.hasTool("diff")))
    func lineDiff() throws {
        var rng = SplitMix64(seed: 22)
        let dir = Support.temporaryDirectory("line-diff")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for round in 0..<40 {
            let vocabulary = ["a: 1", "b: 2", "c:", "  - x", "  - y", "d: 4", "e: five", ""]
            func text() -> String {
                (0..<Int(rng.next() % 30)).map { _ in vocabulary[Int(rng.next() % UInt64(vocabulary.count))] }.joined(separator: "\n") + "\n"
            }
            let old = text(), new = text()
            let diff = LineDiff.unified(old, new)
            var minus = 0, plus = 0, readOld: [String] = [], readNew: [String] = []
            for line in LineDiff.lines(diff).dropFirst(2) {
                let body = String(line.dropFirst())
                switch line.first {
                case "-": minus += 1; readOld.append(body)
                case "+": plus += 1; readNew.append(body)
                default: readOld.append(body); readNew.append(body)
                }
            }
            if old != new {
                #expect(readOld.joined(separator: "\n") + "\n" == old, "round \(round)")
                #expect(readNew.joined(separator: "\n") + "\n" == new, "round \(round)")
            } else {
                #expect(diff.isEmpty)
            }
            try old.write(toFile: dir + "/old", atomically: true, encoding: .utf8)
            try new.write(toFile: dir + "/new", atomically: true, encoding: .utf8)
            let gnu = try Support.run(["diff", "--minimal", "-U", "100000", dir + "/old", dir + "/new"])
            let gnuLines = gnu.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(3)
            #expect(minus == gnuLines.filter { $0.hasPrefix("-") }.count, "round \(round): removed lines")
            #expect(plus == gnuLines.filter { $0.hasPrefix("+") }.count, "round \(round): added lines")
        }
    }
}
