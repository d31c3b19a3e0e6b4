import Foundation

/// tshark (the independent reference of the agreement tests) per frame, with the network layer of
/// interest already chosen: `-T fields -E occurrence=l` prints the innermost occurrence of every
/// field, and the inner network layer is whichever of `ip` / `ipv6` comes last in
/// `frame.protocols` (with `occurrence: "f"`, the outermost: whichever comes first).
///
/// ```swift
/// let frames = try TsharkInnermostLayer.frames(file: path, filter: "tcp", fields: ["tcp.flags"])
/// for frame in frames { print(frame.source, frame["tcp.srcport"], frame["tcp.flags"]) }
/// ```
public enum TsharkInnermostLayer {
    /// Fields every run requests besides the caller's: the layer choice, both families' addresses
    /// and lengths, and the TCP / UDP ports.
    public static let layerFields = [
        "frame.protocols", "ip.src", "ip.dst", "ip.len", "ipv6.src", "ipv6.dst", "ipv6.plen",
        "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
    ]

    public enum Failure: Error, CustomStringConvertible {
        case tsharkNotFound
        public var description: String { "tshark not found (PATH or /usr/bin)" }
    }

    /// One frame (one line of tshark's output).
    public struct Frame: Sendable {
        /// `frame.protocols` split at `:`, outermost first.
        public let protocols: [Substring]
        /// Whether the chosen network layer is IPv6 (else IPv4, also when there is no IP layer).
        public let isIPv6: Bool
        private let columns: [String]
        private let index: [String: Int]

        init(columns: [String], index: [String: Int], outermost: Bool) {
            self.columns = columns
            self.index = index
            protocols = columns[index["frame.protocols"]!].split(separator: ":")
            let v4 = outermost ? protocols.firstIndex(of: "ip") : protocols.lastIndex(of: "ip")
            let v6 = outermost ? protocols.firstIndex(of: "ipv6") : protocols.lastIndex(of: "ipv6")
            isIPv6 = outermost ? (v6 ?? .max) < (v4 ?? .max) : (v6 ?? -1) > (v4 ?? -1)
        }

        /// A requested field's text as tshark printed it ("" when absent).
        public subscript(field: String) -> String {
            guard let column = index[field] else { preconditionFailure("tshark field \(field) was not requested") }
            return columns[column]
        }

        /// The chosen layer's source / destination address, as tshark prints it.
        public var source: String { self[isIPv6 ? "ipv6.src" : "ip.src"] }
        public var destination: String { self[isIPv6 ? "ipv6.dst" : "ip.dst"] }
        /// The chosen layer's whole length: `ip.len`, or `ipv6.plen` + the 40-byte fixed header
        /// (0 when tshark printed none).
        public var ipLength: Int { isIPv6 ? (Int(self["ipv6.plen"]) ?? 0) + 40 : Int(self["ip.len"]) ?? 0 }
        /// TCP's source / destination port, else UDP's (nil when neither is a number).
        public var sourcePort: UInt16? { UInt16(self["tcp.srcport"]) ?? UInt16(self["udp.srcport"]) }
        public var destinationPort: UInt16? { UInt16(self["tcp.dstport"]) ?? UInt16(self["udp.dstport"]) }
        /// Both TCP ports, nil unless both are numbers.
        public var tcpPorts: (source: Int, destination: Int)? {
            guard let source = Int(self["tcp.srcport"]), let destination = Int(self["tcp.dstport"]) else { return nil }
            return (source, destination)
        }
    }

    /// Runs `tshark -n -r file [-Y filter] options -T fields -E separator=/t -E occurrence=…` with
    /// `fields` then the ``layerFields`` not among them, and returns one ``Frame`` per output line,
    /// in file order. tshark exits non-zero on damaged files after printing the frames it could
    /// read: those are kept. `options` are the caller's `-o` / `-d` preferences, passed as given.
    public static func frames(file: String, filter: String? = nil, options: [String] = [], fields: [String] = [],
                              occurrence: Character = "l", tshark: String? = Corpus.tshark) throws -> [Frame] {
        precondition(occurrence == "l" || occurrence == "f", "occurrence l (innermost) or f (outermost)")
        var all: [String] = []
        for field in fields + layerFields where !all.contains(field) { all.append(field) }
        var arguments = ["-n", "-r", file]
        if let filter { arguments += ["-Y", filter] }
        arguments += options + ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=\(occurrence)"]
        for field in all { arguments += ["-e", field] }
        let index = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($0.element, $0.offset) })
        var frames: [Frame] = []
        for line in try output(arguments, tshark: tshark).split(separator: "\n") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= all.count else { continue }
            frames.append(Frame(columns: columns, index: index, outermost: occurrence == "f"))
        }
        return frames
    }

    /// tshark's standard output for `arguments` (standard error discarded, the exit status ignored).
    public static func output(_ arguments: [String], tshark: String? = Corpus.tshark) throws -> String {
        guard let tshark else { throw Failure.tsharkNotFound }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Frames of one conversation: the originator is the source of its first frame.
    public struct Conversation: Sendable {
        /// What `scope` said for its frames (a tenant, say), then the endpoints as `endpoints` wrote them.
        public var scope: String
        public var originator: String, responder: String
        public var fromOriginator: [Frame] = [], fromResponder: [Frame] = []
    }

    /// Folds frames into conversations, in the order of their first frame: a frame belongs to the
    /// conversation of the same scope with its (source, destination) endpoints either way round.
    public static func conversations(_ frames: [Frame], scope: (Frame) -> String = { _ in "" },
                                     endpoints: (Frame) -> (source: String, destination: String)) -> [Conversation] {
        var conversations: [Conversation] = []
        var byKey: [String: Int] = [:]
        for frame in frames {
            let tenant = scope(frame)
            let (a, b) = endpoints(frame)
            let forward = tenant + "|" + a + ">" + b, backward = tenant + "|" + b + ">" + a
            if let i = byKey[forward] {
                conversations[i].fromOriginator.append(frame)
            } else if let i = byKey[backward] {
                conversations[i].fromResponder.append(frame)
            } else {
                byKey[forward] = conversations.count
                conversations.append(Conversation(scope: tenant, originator: a, responder: b, fromOriginator: [frame]))
            }
        }
        return conversations
    }
}
