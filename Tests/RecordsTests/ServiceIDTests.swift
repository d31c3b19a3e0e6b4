import Foundation
import Testing
@testable import Records

/// Service ids, plain and tenant-scoped (docs/records.md, "Service ids"): the parser, the fast
/// validator and the schemas' pattern agree.
@Suite struct ServiceIDTests {
    static let pattern = try! NSRegularExpression(pattern: "^([a-z][a-z0-9-]*:\\d{1,10}/)?(\\[[0-9a-fA-F:.]+\\]|[0-9.]+):\\d{1,5}/[a-z0-9]+$")

    static func schemaPattern(_ s: String) -> Bool {
        pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    @Test(arguments: [
        ("10.0.0.5:443/tcp", nil, "10.0.0.5", 443, "tcp"),
        ("[2001:db8::1]:53/udp", nil, "2001:db8::1", 53, "udp"),
        ("vxlan:100/192.0.2.10:80/tcp", "vxlan:100", "192.0.2.10", 80, "tcp"),
        ("geneve:300/[2001:db8:2::10]:80/tcp", "geneve:300", "2001:db8:2::10", 80, "tcp"),
        ("gre:4294967295/10.0.0.1:0/icmp", "gre:4294967295", "10.0.0.1", 0, "icmp"),
        ("mpls-pw:16/10.0.0.1:53/udp", "mpls-pw:16", "10.0.0.1", 53, "udp"),
    ] as [(String, String?, String, Int, String)])
    func parses(text: String, tenant: String?, address: String, port: Int, transport: String) throws {
        let id = try #require(ServiceID(text))
        #expect(id.tenant == tenant && id.address == address && id.port == port && id.transport == transport)
        #expect(id.text == text)
        #expect(ServiceID.isValid(text))
        #expect(Self.schemaPattern(text))
    }

    @Test(arguments: [
        "VXLAN:100/192.0.2.10:80/tcp", "vxlan/192.0.2.10:80/tcp", "vxlan:/192.0.2.10:80/tcp", "vxlan:1x/192.0.2.10:80/tcp",
        "vxlan:4294967296/192.0.2.10:80/tcp", "vxlan:1/2/192.0.2.10:80/tcp", ":1/192.0.2.10:80/tcp", "1vx:1/10.0.0.1:1/tcp",
        "foo/1.2.3.4:80/tcp", "vxlan:100/192.0.2.10:80/", "vxlan:100/192.0.2.10/tcp", "vxlan:100/:80/tcp",
    ])
    func refuses(text: String) {
        #expect(ServiceID(text) == nil)
        #expect(!ServiceID.isValid(text))
    }

    @Test("the server's parser takes a tenant-scoped service in service_state, edge and service_seen")
    func serverReadsTenantServices() {
        let line = #"{"schema_version":1,"kind":"service_seen","agent_id":"a","epoch":1,"seq":1,"ts":"2023-11-14T22:14:00.000001000Z","agent_ts":"2023-11-14T22:14:00.000001000Z","service":"vxlan:100/192.0.2.10:80/tcp","resp_h":"192.0.2.10","resp_p":80,"transport":"tcp","tunnel":{"type":"vxlan","id":100,"outer":{"src":"198.51.100.1","dst":"198.51.100.2","sport":49152,"dport":4789,"proto":17},"tenant":"vxlan:100","layers":["vxlan"]},"first_seen":"2023-11-14T22:14:00.000001000Z","reannounce":false}"#
        let parsed = RecordParser.parse(batch: Array((line + "\n").utf8))
        #expect(parsed.errors.isEmpty)
        guard case .serviceSeen(let s)? = parsed.records.first?.body else { Issue.record("not parsed"); return }
        #expect(s.service == "vxlan:100/192.0.2.10:80/tcp")
    }

    @Test("TunnelRecord decodes the tunnel object as written")
    func tunnelRecordDecodes() throws {
        let json = #"{"type":"gre","id":7,"outer":{"src":"198.51.100.1","dst":"198.51.100.2","proto":47},"tenant":"gre:7","layers":["gre"]}"#
        let t = try JSONDecoder().decode(TunnelRecord.self, from: Data(json.utf8))
        #expect(t == TunnelRecord(type: "gre", id: 7, outer: .init(src: "198.51.100.1", dst: "198.51.100.2", proto: 47),
                                  tenant: "gre:7", layers: ["gre"]))
        #expect(TunnelRecord.Key.allCases.map { "\($0.key)" } == ["tunnel", "type", "id", "outer", "src", "dst", "sport", "dport", "proto", "tenant", "layers"])
    }
}
