import Testing
@testable import ServerHTTP

/// Drill-down on a tenant-scoped service (`vxlan:100/10.0.0.5:443/tcp`): the agents index the
/// innermost packet, so the query names the inner service; a malformed prefix is refused.
@Suite struct DrillDownTenantTests {
    @Test(arguments: [
        ("10.0.0.5:443/tcp", "host 10.0.0.5 and port 443 and tcp"),
        ("vxlan:100/10.0.0.5:443/tcp", "host 10.0.0.5 and port 443 and tcp"),
        ("geneve:300/[2001:db8::1]:53/udp", "host 2001:db8::1 and port 53 and udp"),
    ])
    func innerServiceExpression(service: String, expected: String) {
        #expect(DrillDown.expression(service: service, client: nil) == expected)
    }

    @Test(arguments: ["VXLAN:1/10.0.0.5:443/tcp", "x/10.0.0.5:443/tcp", "vxlan:1/2/10.0.0.5:443/tcp"])
    func malformedPrefix(service: String) {
        #expect(DrillDown.expression(service: service, client: nil) == nil)
    }
}
