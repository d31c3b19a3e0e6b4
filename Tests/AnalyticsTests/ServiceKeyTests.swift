import Testing
import PacketDecoding
@testable import Analytics
import VigieTestSupport

@Suite struct ServiceKeyTests {
    @Test(arguments: [
        ("10.0.0.5", UInt16(443), FlowTransport.tcp, "10.0.0.5:443/tcp"),
        ("2001:db8::1", UInt16(53), FlowTransport.udp, "[2001:db8::1]:53/udp"),
    ])
    func idText(address: String, port: UInt16, transport: FlowTransport, expected: String) throws {
        let key = ServiceKey(address: try #require(IPAddress(address)), port: port, transport: transport)
        #expect(key.id == expected)
    }
}
