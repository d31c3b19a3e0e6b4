import Testing
import Foundation
import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// Application transactions against GROUND_TRUTH (tshark 4.0 figures): HTTP responses, HTTP
/// 5xx responses, DNS responses with a non-zero rcode on port 53. Our figures count responses
/// paired with a request seen in the same flow.
@Suite(.enabled(if: Corpus.isAvailable, "needs ../shared/corpus and tshark"))
struct CorpusApplicationTests {
    @Test(arguments: Corpus.files)
    func transactionsAgreeWithGroundTruth(_ name: String) throws {
        guard let truth = GroundTruth.values[name], CorpusFlowTests.notComparable[name] == nil else { return }
        let dir = try #require(Corpus.directory)
        let sink = try #require(CorpusReplay.run(dir + "/" + name, config: AnalyticsConfig()))
        let txns = sink.transactions
        let http = txns.filter { $0.application == .http && $0.httpStatus != 0 }
        // tshark decodes HTTP on its configured ports only (http.tcp.port); we recognise it by
        // content on any port, so compare on tshark's ports.
        let httpOnPorts = http.filter { Self.tsharkHTTPPorts.contains($0.service.port) }
        let dnsErrors = txns.filter { $0.application == .dns && $0.dnsRcode > 0 && $0.service.port == 53 }
        CorpusTally.shared.addApplication(name: name, http: http.count, dns: txns.filter { $0.application == .dns }.count,
                                          tls: txns.filter { $0.application == .tls }.count)
        // Tunnelled traffic (ERSPAN) is not decoded (docs/decoder.md): tshark's figures include it.
        guard name != "zeek_erspan.pcap" else { return }
        let check = {
            // Responses: tshark with out-of-order reassembly, per TCP stream the larger of its
            // counts with and without body reassembly (with it, a response whose body the capture
            // lost is not shown; without it, a response starting mid-segment after a body is
            // missed). We count every response whose status line was seen: paired, unpaired, 1xx.
            if truth["http_responses_total"] != nil, let v = try? Self.tsharkHTTPResponses(dir + "/" + name) {
                let ours = http.count + Int(sink.unpairedHTTPResponses) + Int(sink.informationalHTTPResponses)
                #expect(ours == v + (Self.responsesTsharkMisses[name] ?? 0),
                        "\(name): HTTP responses (\(http.count) paired + \(sink.unpairedHTTPResponses) unpaired + \(sink.informationalHTTPResponses) 1xx), tshark \(v)")
            }
            if let v = truth["http_5xx_responses"] {
                #expect(httpOnPorts.filter { $0.httpStatus >= 500 }.count == v, "\(name): HTTP 5xx (GROUND_TRUTH)")
            }
            if let v = truth["dns_rcode_nonzero_port53_msgs"] {
                #expect(dnsErrors.count == v, "\(name): DNS rcode != 0 on port 53")
            }
        }
        if let reason = Self.knownDifferences[name] {
            withKnownIssue(Comment(rawValue: reason), isIntermittent: true) { check() }
        } else {
            check()
        }
    }

    /// tshark's HTTP responses (http.tcp.port defaults, out-of-order segments reassembled): per
    /// TCP stream the larger of the counts with and without body reassembly, summed.
    static func tsharkHTTPResponses(_ path: String) throws -> Int {
        let withBodies = try tsharkResponsesPerStream(path, options: [])
        let withoutBodies = try tsharkResponsesPerStream(path, options: ["-o", "http.desegment_body:FALSE"])
        return Set(withBodies.keys).union(withoutBodies.keys).reduce(0) { $0 + max(withBodies[$1] ?? 0, withoutBodies[$1] ?? 0) }
    }

    private static func tsharkResponsesPerStream(_ path: String, options: [String]) throws -> [Int: Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Corpus.tshark))
        process.arguments = ["-n", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE"] + options
            + ["-Y", "http.response", "-T", "fields", "-e", "tcp.stream", "-e", "http.response.code",
               "-E", "occurrence=a", "-E", "aggregator=,"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var counts: [Int: Int] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 2, let stream = Int(fields[0]) else { continue }
            counts[stream, default: 0] += fields[1].split(separator: ",").count
        }
        return counts
    }

    /// Wireshark 4.0's default `http.tcp.port` range.
    static let tsharkHTTPPorts: Set<UInt16> = [80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710]

    /// Responses we count that tshark shows in neither mode (docs/flows.md, "HTTP against
    /// tshark"): each was checked frame by frame.
    static let responsesTsharkMisses: [String: Int] = [
        // Stream 41835 → 80: the capture lost segments 166809–169847 of the response at frame
        // 611; the next request (frame 892) is answered at frame 893, right after the hole. With
        // body reassembly tshark waits for the lost bytes (neither 611 nor 893 is shown); without
        // it, it does not parse after the hole (893 is not shown).
        "cs_http_espn.pcapng": 1,
    ]

    /// Differences not yet explained (reported as known issues, still run).
    static let knownDifferences: [String: String] = [:]
}
