import Testing
import Foundation
import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// Application transactions against GROUND_TRUTH (tshark 4.0 figures): HTTP responses, HTTP
/// 5xx responses, DNS responses with a non-zero rcode on port 53, and all DNS responses on port 53
/// (tshark run here: GROUND_TRUTH's `dns_responses_total_msgs` includes mDNS/LLMNR and DNS quoted
/// in ICMP errors). Our figures count responses paired with a request seen in the same flow; every
/// DNS response is an outcome of its own (docs/flows.md), so the counts are message for message.
@Suite(.enabled(if: Corpus.isAvailable, "needs ../shared/corpus and tshark"))
struct CorpusApplicationTests {
    @Test(arguments: Corpus.files)
    func transactionsAgreeWithGroundTruth(_ name: String) throws {
        guard let truth = GroundTruth.values[name], CorpusFlowTests.notComparable[name] == nil else { return }
        let dir = try #require(Corpus.directory)
        var config = AnalyticsConfig()
        if let keys = CorpusFlowTests.mirrorGREKeys[name] { config.tunnels.mirrorGREKeys = keys }
        let sink = try #require(CorpusReplay.run(dir + "/" + name, config: config))
        let txns = sink.transactions
        let http = txns.filter { $0.application == .http && $0.httpStatus != 0 }
        // tshark decodes HTTP on its configured ports only (http.tcp.port); we recognise it by
        // content on any port, so compare on tshark's ports.
        let httpOnPorts = http.filter { Self.tsharkHTTPPorts.contains($0.service.port) }
        let dnsResponses = txns.filter { $0.application == .dns && $0.dnsRcode >= 0 && $0.service.port == 53 }
        let dnsErrors = dnsResponses.filter { $0.dnsRcode > 0 }
        CorpusTally.shared.addApplication(name: name, http: http.count, dns: txns.filter { $0.application == .dns }.count,
                                          tls: txns.filter { $0.application == .tls }.count)
        // DNS is exact for every file, zeek_erspan's mirror included: every response is an
        // outcome, and the corpus holds no exact copies (`editcap -w 0.01` removes no DNS frame,
        // and a copy of a DNS payload under other outer headers would lower our count below
        // tshark's). tshark's filter differs from GROUND_TRUTH's dns_responses_total_msgs by
        // port 53 only (pcpp_DnsPackets 212 of 226, zeek_radiotap 1 of 2: mDNS/LLMNR) and no
        // DNS quoted in ICMP errors (zeek_icmp-destunreach-udp 0 of 1).
        if let v = truth["dns_rcode_nonzero_port53_msgs"] {
            #expect(dnsErrors.count == v, "\(name): DNS rcode != 0 on port 53")
        }
        if truth["dns_responses_total_msgs"] != nil, let v = try? Self.tsharkDNSResponses(dir + "/" + name) {
            #expect(dnsResponses.count == v, "\(name): DNS responses on port 53")
        }
        let httpCheck = {
            // Responses: per TCP stream, the most tshark shows under any of its reassembly
            // settings (out-of-order segments on/off × bodies on/off). Each setting misses some:
            // with bodies, a response whose body the capture lost; without, a response starting
            // mid-segment after a body, or right after a capture hole; with out-of-order
            // reassembly, responses in zeek_erspan's mirror (duplicated segments); without it,
            // those after reordered segments. We count every response whose status line was
            // seen: paired (on any port: tshark also finds HTTP off its port list, e.g. 5005 in
            // pcpp_example), unpaired, 1xx.
            if truth["http_responses_total"] != nil, let v = try? Self.tsharkHTTPResponses(dir + "/" + name) {
                let ours = http.count + Int(sink.unpairedHTTPResponses) + Int(sink.informationalHTTPResponses)
                #expect(ours == v, "\(name): HTTP responses (\(http.count) paired + \(sink.unpairedHTTPResponses) unpaired + \(sink.informationalHTTPResponses) 1xx), tshark \(v)")
            }
            if let v = truth["http_5xx_responses"] {
                #expect(httpOnPorts.filter { $0.httpStatus >= 500 }.count == v, "\(name): HTTP 5xx (GROUND_TRUTH)")
            }
        }
        if let reason = Self.knownHTTPDifferences[name] {
            withKnownIssue(Comment(rawValue: reason), isIntermittent: true) { httpCheck() }
        } else {
            httpCheck()
        }
    }

    /// tshark's HTTP responses (http.tcp.port defaults): per TCP stream the most any of its four
    /// reassembly settings shows, summed.
    static func tsharkHTTPResponses(_ path: String) throws -> Int {
        var most: [Int: Int] = [:]
        for outOfOrder in ["TRUE", "FALSE"] {
            for bodies in ["TRUE", "FALSE"] {
                let counts = try responsesPerStream(path, options: ["-o", "tcp.reassemble_out_of_order:" + outOfOrder,
                                                                    "-o", "http.desegment_body:" + bodies])
                for (stream, n) in counts { most[stream] = max(most[stream] ?? 0, n) }
            }
        }
        return most.values.reduce(0, +)
    }

    /// Response codes per tcp.stream (several responses in one frame count each).
    private static func responsesPerStream(_ path: String, options: [String]) throws -> [Int: Int] {
        var counts: [Int: Int] = [:]
        let lines = try tsharkLines(path, options + ["-Y", "http.response", "-e", "tcp.stream", "-e", "http.response.code"])
        for line in lines {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 2, let stream = Int(fields[0]) else { continue }
            counts[stream, default: 0] += fields[1].split(separator: ",").count
        }
        return counts
    }

    /// tshark's count of DNS response messages on UDP/TCP port 53 matching `filter`, those quoted
    /// inside ICMP errors excepted (we read an ICMP error's quote for its flow, not its payload).
    static func tsharkDNSResponses(_ path: String, filter: String = "") throws -> Int {
        let display = "dns.flags.response == 1 && (udp.port == 53 || tcp.port == 53) && !icmp && !icmpv6"
            + (filter.isEmpty ? "" : " && " + filter)
        return try tsharkValues(path, ["-Y", display, "-e", "dns.flags.response"]).filter { $0 == "1" || $0 == "True" }.count
    }

    /// The values tshark prints for `arguments` (a display filter and `-e` fields), one per
    /// occurrence: several messages in a frame (DNS over TCP, pipelined HTTP) give several.
    static func tsharkValues(_ path: String, _ arguments: [String]) throws -> [Substring] {
        try tsharkLines(path, arguments).flatMap { $0.split(separator: ",") }
    }

    /// tshark's output lines for `arguments` (fields mode, all occurrences joined by commas).
    static func tsharkLines(_ path: String, _ arguments: [String]) throws -> [Substring] {
        let arguments = ["-n", "-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"] + arguments
        return try TsharkInnermostLayer.output(arguments, tshark: try #require(Corpus.tshark)).split(separator: "\n")
    }

    /// Wireshark 4.0's default `http.tcp.port` range.
    static let tsharkHTTPPorts: Set<UInt16> = [80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710]

    /// HTTP differences not yet explained (reported as known issues, still run).
    static let knownHTTPDifferences: [String: String] = [:]
}
