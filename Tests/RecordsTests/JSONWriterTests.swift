import Foundation
import Records
import Testing

/// The agent's JSON writer (numbers and nesting moved from AnalyticsTests/JSONEscapingTests).
@Suite("JSON writer")
struct JSONWriterTests {
    @Test func numbersAndNesting() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("min", Int64.min)
        w.field("max", UInt64.max)
        w.field("rate", 0.125)
        w.field("neg", -2.5)
        w.field("third", 1.0 / 3.0)
        w.key("list")
        w.beginArray(); w.value(1); w.beginArray(); w.endArray(); w.value("x"); w.endArray()
        w.key("empty"); w.beginObject(); w.endObject()
        w.endObject()
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text == #"{"min":-9223372036854775808,"max":18446744073709551615,"rate":0.125,"neg":-2.5,"third":0.333333,"list":[1,[],"x"],"empty":{}}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(w.bytes)) is [String: Any])
    }

    @Test("addresses and service ids: IPv4 straight into the buffer, IPv6 bracketed", arguments: [
        (UInt32?(0x0A00_0005), "::ffff:10.0.0.5", UInt16(443), "tcp", #""10.0.0.5:443/tcp""#),
        (nil, "2001:db8::1", 53, "udp", #""[2001:db8::1]:53/udp""#),
        (UInt32?(0), "0.0.0.0", 0, "icmp", #""0.0.0.0:0/icmp""#),
        (UInt32?(0xFFFF_FFFF), "", 65535, "sctp", #""255.255.255.255:65535/sctp""#),
    ])
    func serviceIDs(ipv4: UInt32?, host: String, port: UInt16, transport: String, text: String) {
        var w = JSONWriter()
        w.value(serviceIPv4: ipv4, host: host, port: port, transport: transport)
        #expect(String(decoding: w.bytes, as: UTF8.self) == text)
        if let ipv4 {
            var a = JSONWriter()
            a.value(ipv4: ipv4)
            #expect(String(decoding: a.bytes, as: UTF8.self) == String(text.prefix { $0 != ":" }) + "\"")
        }
    }
}
