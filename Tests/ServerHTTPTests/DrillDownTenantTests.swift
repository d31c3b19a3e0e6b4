import Testing
@testable import ServerHTTP
import Indexer

/// Drill-down on a tenant-scoped service (`vxlan:100/10.0.0.5:443/tcp`): the agents index the
/// innermost packet and the tunnel identity, so the query names the tenant and the inner service;
/// a malformed prefix is refused. (The agent side of these expressions is checked by
/// IndexerTests' tunnel queries against tshark.)
@Suite struct DrillDownTenantTests {
    @Test(arguments: [
        ("10.0.0.5:443/tcp", "host 10.0.0.5 and port 443 and tcp"),
        ("vxlan:100/10.0.0.5:443/tcp", "vxlan 100 and host 10.0.0.5 and port 443 and tcp"),
        ("geneve:300/[2001:db8::1]:53/udp", "geneve 300 and host 2001:db8::1 and port 53 and udp"),
        ("gre:7/10.0.0.5:443/tcp", "gre 7 and host 10.0.0.5 and port 443 and tcp"),
        ("pppoe:17/10.0.0.5:443/tcp", "pppoes 17 and host 10.0.0.5 and port 443 and tcp"),
    ])
    func innerServiceExpression(service: String, expected: String) throws {
        #expect(DrillDown.expression(service: service, client: nil) == expected)
        // The agents' query language takes it as it is.
        _ = try QueryParser.parse(try #require(DrillDown.expression(service: service, client: nil)))
    }

    @Test(arguments: ["VXLAN:1/10.0.0.5:443/tcp", "x/10.0.0.5:443/tcp", "vxlan:1/2/10.0.0.5:443/tcp"])
    func malformedPrefix(service: String) {
        #expect(DrillDown.expression(service: service, client: nil) == nil)
    }
}
