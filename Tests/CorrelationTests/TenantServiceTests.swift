import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

/// Tenant-scoped service ids (`vxlan:100/192.0.2.10:80/tcp`, docs/records.md "Service ids"): the
/// inventory names them, declared or discovered, and keeps two tenants' same address apart.
@Suite("Tenant-scoped services")
struct TenantServiceTests {
    static let yaml = """
        nodes:
          - {id: "vxlan:100/192.0.2.10:80/tcp", kind: endpoint}
          - {id: "vxlan:200/192.0.2.10:80/tcp", kind: endpoint}
          - {id: "192.0.2.10:80/tcp", kind: endpoint}
          - {id: "geneve:300/[2001:db8:2::10]:80/tcp", kind: endpoint}
          - {id: tenant-a, kind: service}
          - {id: tenant-b, kind: service}
        edges:
          - {child: "vxlan:100/192.0.2.10:80/tcp", parent: tenant-a}
          - {child: "vxlan:200/192.0.2.10:80/tcp", parent: tenant-b}
        """

    @Test("declared: the same inner address in two VNIs is two endpoints with their own states")
    func declaredTenantEndpoints() throws {
        let inventory = try Inventory.parse(yaml: Self.yaml)
        #expect(inventory.nodes.filter { $0.kind == .endpoint }.count == 4)
        #expect(try Inventory.parse(yaml: inventory.yaml()) == inventory)
        let c = try Correlator(config: CorrelatorConfig(), store: nil, inventory: inventory, clock: TestClock().function)
        let r = c.ingest(Lines.batch([
            Lines.serviceState(seq: 1, service: "vxlan:100/192.0.2.10:80/tcp", state: "UP"),
            Lines.serviceState(seq: 2, service: "vxlan:200/192.0.2.10:80/tcp", state: "REFUSED"),
            Lines.serviceState(seq: 3, service: "geneve:300/[2001:db8:2::10]:80/tcp", state: "UP"),
        ]))
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(c.status("vxlan:100/192.0.2.10:80/tcp")?.state == .ok)
        #expect(c.status("vxlan:200/192.0.2.10:80/tcp")?.state == .down)
        #expect(c.status("192.0.2.10:80/tcp")?.state == .unknown)   // untunnelled: no record, untouched
        #expect(c.status("geneve:300/[2001:db8:2::10]:80/tcp")?.state == .ok)
        #expect(c.weather().entry("tenant-a")?.state == .ok)
        #expect(c.weather().entry("tenant-b")?.state == .down)
    }

    @Test("discovered: an edge to a tenant-scoped service is promoted into an endpoint of that id")
    func discoveredTenantEndpoint() throws {
        let c = try Correlator(config: CorrelatorConfig(), store: nil, inventory: try Inventory.parse(yaml: Self.yaml),
                               clock: TestClock().function)
        let r = c.ingest(Lines.batch([Lines.edge(seq: 1, client: "10.1.0.1", service: "gre:7/192.0.2.20:8080/tcp")]))
        #expect(r.errors.isEmpty, "\(r.errors)")
        let dependency = try #require(c.dependencies().first { $0.dependency.service == "gre:7/192.0.2.20:8080/tcp" })
        _ = try c.promoteDependency(dependency.dependency.id, parent: "tenant-a")
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 2, service: "gre:7/192.0.2.20:8080/tcp", state: "REFUSED")]))
        #expect(c.status("gre:7/192.0.2.20:8080/tcp")?.state == .down)
    }

    @Test("malformed tenant prefixes are refused as endpoint ids", arguments: [
        "VXLAN:100/192.0.2.10:80/tcp", "vxlan/192.0.2.10:80/tcp", "vxlan:/192.0.2.10:80/tcp", "vxlan:x/192.0.2.10:80/tcp",
        "vxlan:4294967296/192.0.2.10:80/tcp", "vxlan:1/2/192.0.2.10:80/tcp", ":1/192.0.2.10:80/tcp",
    ])
    func malformedTenant(id: String) {
        #expect(throws: InventoryError.self) {
            _ = try Inventory.parse(yaml: "nodes: [{id: \"\(id)\", kind: endpoint}]")
        }
        #expect(!ServiceID.isValid(id))
    }
}
