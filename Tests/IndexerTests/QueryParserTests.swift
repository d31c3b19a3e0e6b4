import Indexer
import PacketDecoding
import Testing

@Suite("Query parser")
struct QueryParserTests {
    static let now: Int64 = 1_795_422_600_000_000_000  // 2026-11-23T08:30:00Z

    static func parse(_ text: String) throws -> Query { try QueryParser.parse(text, now: now) }

    static func host(_ a: String, _ d: Direction = .either) -> Filter {
        let address = IPAddress(a)!
        return .term(.address(AddressPrefix(address: address, length: address.isIPv4 ? 32 : 128), d))
    }

    static func port(_ p: UInt16, _ d: Direction = .either) -> Filter { .term(.port(p...p, d)) }
    static let tcp = Filter.term(.ipProtocol(6, nil))
    static let udp = Filter.term(.ipProtocol(17, nil))

    /// The error a query raises.
    static func error(_ text: String) -> QueryError? {
        do {
            _ = try QueryParser.parse(text, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test("and/or have equal precedence and associate left, like tcpdump; not binds tightest")
    func precedence() throws {
        #expect(try Self.parse("host 1.2.3.4 or host 5.6.7.8 and port 80").filter
            == .and(.or(Self.host("1.2.3.4"), Self.host("5.6.7.8")), Self.port(80)))
        #expect(try Self.parse("port 80 and host 1.2.3.4 or host 5.6.7.8").filter
            == .or(.and(Self.port(80), Self.host("1.2.3.4")), Self.host("5.6.7.8")))
        #expect(try Self.parse("not tcp and udp").filter == .and(.not(Self.tcp), Self.udp))
        #expect(try Self.parse("!tcp && (udp || icmp)").filter
            == .and(.not(Self.tcp), .or(Self.udp, .term(.ipProtocol(1, .v4)))))
        #expect(try Self.parse("not not tcp").filter == .not(.not(Self.tcp)))
        #expect(try Self.parse("((tcp))").filter == Self.tcp)
    }

    @Test("a bare value repeats the previous keyword")
    func inheritance() throws {
        #expect(try Self.parse("port 53 or 5353").filter == .or(Self.port(53), Self.port(5353)))
        #expect(try Self.parse("host 1.1.1.1 and not 2.2.2.2").filter == .and(Self.host("1.1.1.1"), .not(Self.host("2.2.2.2"))))
        #expect(try Self.parse("tcp dst port 80 or 443").filter
            == .or(.and(Self.tcp, Self.port(80, .destination)), .and(Self.tcp, Self.port(443, .destination))))
        #expect(try Self.parse("10.0.0.1").filter == Self.host("10.0.0.1"))
    }

    @Test("qualifiers")
    func qualifiers() throws {
        #expect(try Self.parse("src host 10.0.0.1").filter == Self.host("10.0.0.1", .source))
        #expect(try Self.parse("dst 2001:db8::1").filter == Self.host("2001:db8::1", .destination))
        #expect(try Self.parse("src or dst host 10.0.0.1").filter == Self.host("10.0.0.1", .either))
        #expect(try Self.parse("src and dst host 10.0.0.1").filter == Self.host("10.0.0.1", .both))
        #expect(try Self.parse("src net 10.0.0.0/8").filter
            == .term(.address(AddressPrefix(address: IPAddress("10.0.0.0")!, length: 8), .source)))
        #expect(try Self.parse("portrange 1000-2000").filter == .term(.port(1000...2000, .either)))
        #expect(try Self.parse("ip6 proto 58").filter == .term(.ipProtocol(58, .v6)))
        #expect(try Self.parse("proto gre").filter == .term(.ipProtocol(47, nil)))
        #expect(try Self.parse("ip host 10.0.0.1").filter == .and(.term(.network(.ip)), Self.host("10.0.0.1")))
        #expect(try Self.parse("vlan 100").filter == .term(.vlan(100)))
        #expect(try Self.parse("vlan and tcp").filter == .and(.term(.vlan(nil)), Self.tcp))
        #expect(try Self.parse("ether host 00:1A:2b:3c:4d:5e").filter == .term(.ether(0x001A_2B3C_4D5E, .either)))
        #expect(try Self.parse("icmp6").filter == .term(.ipProtocol(58, .v6)))
        let sni = try Self.parse("tls.sni *.Example.com")
        guard case .term(.application(.tlsServerName, let pattern)) = sni.filter else {
            Issue.record("not an SNI term")
            return
        }
        #expect(pattern.isSuffix && pattern.name == "Example.com")
        #expect(try Self.parse("").filter == nil)
    }

    @Test("time bounds: RFC 3339, dates, relative")
    func times() throws {
        let q = try Self.parse("host 10.0.0.1 and after 2026-11-23T14:05:00Z and before 2026-11-23T15:05:00.5+01:00")
        #expect(q.filter == Self.host("10.0.0.1"))
        #expect(q.after == 1_795_442_700_000_000_000)
        #expect(q.before == 1_795_442_700_500_000_000)  // 15:05:00.5+01:00 is 14:05:00.5Z
        #expect(try Self.parse("after 2026-11-23").after == 1_795_392_000_000_000_000)
        #expect(try Self.parse("after 15m ago").after == Self.now - 15 * 60 * 1_000_000_000)
        #expect(try Self.parse("before now").before == Self.now)
        #expect(try Self.parse("after 1h ago and before 30m ago and tcp").filter == Self.tcp)
    }

    @Test("errors point at the offending token")
    func errors() {
        let cases: [(String, QueryError.Code, Int)] = [
            ("hots 10.0.0.1", .unknownField, 0),
            ("tcp and bogus", .unknownField, 8),
            ("host 10.0.0.256", .badAddress, 5),
            ("host example.com", .badAddress, 5),
            ("net 10.1.0.0/8", .badNetwork, 4),
            ("net 10.0.0.0/33", .badNetwork, 4),
            ("port 70000", .badPort, 5),
            ("portrange 20-10", .badPort, 10),
            ("host 1.2.3.4 and (port 80", .unbalancedParenthesis, 17),
            ("tcp)", .unbalancedParenthesis, 3),
            ("()", .unexpectedToken, 1),
            ("host", .unexpectedEnd, 4),
            ("tcp and", .unexpectedEnd, 7),
            ("tcp & udp", .badCharacter, 4),
            ("vlan 5000", .badNumber, 5),
            ("dns.qname a*b.com", .badName, 10),
            ("ip6 host 1.2.3.4", .badAddress, 9),
            ("icmp port 80", .badQualifier, 0),
            ("tcp host 1.2.3.4", .badQualifier, 0),
            ("after yesterday", .badTime, 6),
            ("after 15m", .badTime, 6),
            ("after 2026-11-23T15:00:00Z and before 2026-11-23T14:00:00Z", .invertedTimeRange, 31),
            ("before 2026-11-23T14:00:00Z and after 2026-11-23T15:00:00Z", .invertedTimeRange, 32),
            ("host 1.2.3.4 or after 1h ago", .misplacedTimeBound, 16),
            ("not before now", .misplacedTimeBound, 4),
            ("tcp udp", .unexpectedToken, 4),
        ]
        for (text, code, offset) in cases {
            let e = Self.error(text)
            #expect(e?.code == code && e?.offset == offset, "'\(text)': \(e.map { "\($0)" } ?? "no error")")
        }
        #expect(Self.error("host 10.0.0.256")?.length == 10)
        #expect(Self.error("host 10.0.0.256")?.description.contains("character 5") == true)
    }

    @Test("character offsets count characters, not bytes")
    func unicodeOffsets() {
        let e = Self.error("host 10.0.0.1 and « port 80")
        #expect(e?.code == .unknownField && e?.offset == 18)
    }
}
