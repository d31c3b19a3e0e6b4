import Testing

@testable import Indexer

/// Queries an attacker would send: each used to trap (arithmetic overflow) or overflow the stack
/// (unbounded recursion). Each must now be a `QueryError` with a position, and legitimate large
/// queries must still parse.
@Suite("Query language: hostile input")
struct QueryHostileInputTests {
    static let now: Int64 = 1_764_000_000 * 1_000_000_000

    func failure(_ text: String) -> QueryError? {
        do {
            _ = try QueryParser.parse(text, now: Self.now)
            return nil
        } catch {
            return error
        }
    }

    @Test("times outside Int64 nanoseconds are 'out of range' at the time's position", arguments: [
        ("after 2263-01-01", 6), ("before 2263-01-01T00:00:00Z", 7), ("after 9999-12-31T23:59:59.999999999Z", 6),
        ("after 0001-01-01", 6), ("host 10.0.0.1 and before 1600-01-01", 25),
        ("before 4000000w ago", 7), ("after 4294967295w ago", 6), ("after 99999999999d ago", 6),
        ("after 200000d ago", 6),
    ])
    func outOfRange(_ text: String, _ offset: Int) {
        let e = failure(text)
        #expect(e?.code == .timeOutOfRange, "\(text): \(String(describing: e))")
        #expect(e?.offset == offset, "\(text): \(String(describing: e))")
        #expect(e?.message.contains("1677") == true)
    }

    @Test("the edges of the range still parse")
    func edges() throws {
        #expect(try QueryParser.parse("after 2262-04-11T23:47:16Z").after == 9_223_372_036_000_000_000)
        #expect(try QueryParser.parse("after 2262-04-11T23:47:16.854775807Z").after == .max)
        #expect(try QueryParser.parse("before 1677-09-21T00:12:44Z").before == -9_223_372_036_000_000_000)
        #expect(try QueryParser.parse("after 106000d ago", now: Self.now).after == Self.now - 106_000 * 86_400 * 1_000_000_000)
    }

    @Test("20,000 '(' or 60,000 '!' are refused at the first level past the limit", arguments: [
        (String(repeating: "(", count: 20_000), "("),
        (String(repeating: "!", count: 60_000) + "tcp", "!"),
        (String(repeating: "not ", count: 5_000) + "tcp", "not"),
        (String(repeating: "(", count: 300) + "tcp" + String(repeating: ")", count: 300), "("),
    ])
    func deepNesting(_ text: String, _ token: String) {
        let e = failure(text)
        #expect(e?.code == .tooDeep)
        // The offending token is the one that opens level maxDepth + 1.
        let width = token == "not" ? 4 : 1
        #expect(e?.offset == QueryParser.maxDepth * width)
    }

    @Test("nesting up to the limit still parses")
    func nestingAtLimit() throws {
        let n = QueryParser.maxDepth - 2
        let q = try QueryParser.parse(String(repeating: "(", count: n) + "tcp port 80" + String(repeating: ")", count: n))
        #expect(q.filter != nil)
        #expect(try QueryParser.parse(String(repeating: "! ", count: 200) + "udp").filter != nil)
    }

    @Test("a long run of one operator is balanced, not one level per term")
    func longRuns() throws {
        // 3,000 hosts or-ed: a left-deep tree would be 3,000 levels deep.
        let hosts = (0..<3_000).map { "host 10.\($0 / 256).\($0 % 256).1" }.joined(separator: " or ")
        let q = try QueryParser.parse(hosts)
        #expect(depth(q.filter) <= 16)
        #expect(q.filter?.requiredFields.isEmpty == false)
        // Alternating operators cannot be rebalanced (they are not associative with each other):
        // past the limit they are refused with a position.
        let alternating = (0..<600).map { "port \($0)" }.enumerated().map { $0.offset == 0 ? $0.element : ($0.offset % 2 == 0 ? "or " : "and ") + $0.element }.joined(separator: " ")
        #expect(failure(alternating)?.code == .tooDeep)
    }

    @Test("a balanced run means the same as tcpdump's left-to-right reading")
    func balancedSemantics() throws {
        // (a or b or c) and d: the run of 'or' is one group, 'and' applies to all of it.
        let q = try QueryParser.parse("port 1 or port 2 or port 3 and port 4")
        guard case .and(let left, .term(.port(4...4, _))) = q.filter else {
            Issue.record("expected (… or …) and port 4, got \(String(describing: q.filter))")
            return
        }
        #expect(ports(left) == [1, 2, 3])
    }

    @Test("an over-long query is refused before it is tokenised")
    func tooLong() {
        #expect(failure(String(repeating: "a", count: QueryParser.maxLength + 1))?.code == .tooLong)
    }

    func ports(_ f: Filter) -> [UInt16] {
        switch f {
        case .term(.port(let r, _)): [r.lowerBound]
        case .or(let a, let b), .and(let a, let b): ports(a) + ports(b)
        default: []
        }
    }

    func depth(_ f: Filter?) -> Int {
        switch f {
        case nil: 0
        case .term?: 1
        case .not(let a)?: depth(a) + 1
        case .and(let a, let b)?, .or(let a, let b)?: max(depth(a), depth(b)) + 1
        }
    }
}
