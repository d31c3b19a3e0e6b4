import Testing
@testable import ServerHTTP

/// Which agents a search names, against a directory with groups (what the agent registry will
/// plug in behind ``AgentDirectory``): the rules of `agents=`, `group=` and neither.
@Suite("Search: target selection through AgentDirectory")
struct SearchSelectionTests {
    struct Directory: AgentDirectory {
        var apis: [String: String]
        var groups: [String: [String]]
        func queryAPI(of agent: String) -> String? { apis[agent] }
        func members(ofGroup group: String) -> [String]? { groups[group] }
        func allAgents() -> [String] { Array(apis.keys) }
    }

    static let directory = Directory(apis: ["edge-b": "http://127.0.0.1:1", "edge-a": "http://127.0.0.1:2", "edge-c": "http://127.0.0.1:3"],
                                     groups: ["paris": ["edge-c", "edge-a", "edge-gone", "edge-a"], "empty": []])

    @Test("neither: every agent of the directory, in agent-id order")
    func all() throws {
        let s = try Search.select(agents: nil, group: nil, directory: Self.directory, declared: [])
        #expect(s == .init(names: ["edge-a", "edge-b", "edge-c"], absent: []))
    }

    @Test("agents=: sorted; an unknown id is a 404 naming it, unless declared (--drilldown-agent)")
    func agents() throws {
        #expect(try Search.select(agents: ["edge-c", "edge-a"], group: nil, directory: Self.directory, declared: [])
            == .init(names: ["edge-a", "edge-c"], absent: []))
        #expect(throws: Search.SelectionRefused(status: 404, detail: "unknown agent 'edge-x': no query API announced or declared")) {
            try Search.select(agents: ["edge-a", "edge-x"], group: nil, directory: Self.directory, declared: [])
        }
        #expect(try Search.select(agents: ["edge-x"], group: nil, directory: Self.directory, declared: ["edge-x"]).names == ["edge-x"])
    }

    @Test("group=: its members once each, those without a query API reported absent; an unknown group is a 404")
    func groups() throws {
        #expect(try Search.select(agents: nil, group: "paris", directory: Self.directory, declared: [])
            == .init(names: ["edge-a", "edge-c"], absent: ["edge-gone"]))
        #expect(try Search.select(agents: nil, group: "empty", directory: Self.directory, declared: []) == .init(names: [], absent: []))
        #expect(throws: Search.SelectionRefused(status: 404, detail: "unknown group 'lyon'")) {
            try Search.select(agents: nil, group: "lyon", directory: Self.directory, declared: [])
        }
    }
}
