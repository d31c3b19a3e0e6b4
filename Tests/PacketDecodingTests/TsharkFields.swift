import Foundation
import VigieTestSupport

/// tshark's per-packet view of a capture file: for each frame, every occurrence of each field.
struct TsharkFields {
    /// Fields requested, in column order.
    static let fields = [
        "frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto",
        "ipv6.nxt", "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt", "ipv6.dstopts.nxt", "ah.next_header",
        "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport",
        "vlan.id", "ieee8021ad.id", "icmp.type", "icmpv6.type",
    ]

    /// ``fields`` plus the IP lengths and MACs, for the link-type tests that also compare those.
    static let fieldsWithLengths = fields + ["ip.len", "ipv6.plen", "eth.src", "eth.dst"]

    /// Frames in file order; each maps a field name to its occurrences (outermost first).
    private(set) var frames: [[String: [String]]] = []

    /// Runs tshark on `file`. `-E occurrence=a` lists every occurrence comma-separated; the outer
    /// header is the first one (what `occurrence=f` would print), and keeping the rest lets the test
    /// compare the header quoted by ICMP errors (second occurrence). IP/IPv6 reassembly is turned
    /// off so, like our decoder, tshark dissects each fragment on its own: ports on first fragments
    /// only, instead of on the frame that completes a reassembly.
    init(file: String, tshark: String, fields: [String] = Self.fields) throws {
        var arguments = ["-n", "-r", file, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-T", "fields"]
        for field in fields { arguments += ["-e", field] }
        arguments += ["-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=/t"]
        // tshark exits non-zero on damaged files after printing the frames it could read: keep those.
        let output = try TsharkInnermostLayer.output(arguments, tshark: tshark)
        for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            var frame: [String: [String]] = [:]
            for (index, field) in fields.enumerated() where index < columns.count && !columns[index].isEmpty {
                frame[field] = columns[index].split(separator: ",").map(String.init)
            }
            frames.append(frame)
        }
    }
}
