import PacketDecoding
import Testing
import VigieTestSupport

@Suite("IPAddress and MACAddress")
struct IPAddressTests {
    @Test(arguments: [
        "0.0.0.0", "10.0.0.1", "255.255.255.255", "::", "::1", "2001:db8::1", "fe80::1:2:3:4",
        "2001:db8:0:1:1:1:1:1", "2001:0:0:1::1", "ff02::1:ff00:1", "1::", "1:2:3:4:5:6:7:8", "2001:db8:1:2::1003",
    ])
    func roundTripsCanonicalText(text: String) throws {
        let a = try #require(IPAddress(text))
        #expect(a.description == text)
        #expect(IPAddress(a.description) == a)
    }

    @Test func canonicalisesPerRFC5952() {
        #expect(IPAddress("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")  // first of equal runs
        #expect(IPAddress("2001:db8:0:1:1:1:1:1")?.description == "2001:db8:0:1:1:1:1:1")  // one zero group stays
        #expect(IPAddress("0:0:0:0:0:0:0:0")?.description == "::")
        #expect(IPAddress("::ffff:10.1.2.3")?.description == "10.1.2.3")  // IPv4-mapped prints as IPv4
        #expect(IPAddress("64:ff9b::192.0.2.33")?.description == "64:ff9b::c000:221")
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "1..2.3", ":::", "1:2:3:4:5:6:7:8:9",
                      "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7", ":1::", "1:", "::1.2.3", "1.2.3.4::"])
    func rejectsMalformedText(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func ipv4Representation() {
        let a = IPAddress(ipv4: 0x0A00_0001)
        #expect(a.isIPv4 && a.ipv4 == 0x0A00_0001 && a == IPAddress("10.0.0.1"))
        #expect(a.high == 0 && a.low == 0x0000_FFFF_0A00_0001)
        #expect(a.bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 0, 0, 1])
        #expect(IPAddress("::1")?.isIPv4 == false && IPAddress("::1")?.ipv4 == nil)
        #expect(MemoryLayout<IPAddress>.size == 16)
    }

    @Test func ordering() throws {
        let sorted = try ["2001:db8::1", "10.0.0.2", "::1", "10.0.0.1", "fe80::1"].map { try #require(IPAddress($0)) }.sorted()
        #expect(sorted.map(\.description) == ["::1", "10.0.0.1", "10.0.0.2", "2001:db8::1", "fe80::1"])
        #expect(Set([ip("10.0.0.1"), ip("::ffff:10.0.0.1")]).count == 1)
    }

    @Test func macAddress() {
        let m = MACAddress(rawValue: 0xFFFF_0001_0203_0A0B)
        #expect(m.rawValue == 0x0001_0203_0A0B && m.description == "00:01:02:03:0a:0b" && MACAddress.zero < m)
    }
}
