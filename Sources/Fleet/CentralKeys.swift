import Yams

/// Which keys of the agent configuration the server may set (docs/fleet.md, "Central and local
/// keys"). Central: prefilter, index fields, thresholds, analytics options, export targets,
/// retention and quota, pins and recordings. Local only: identity, TLS material, tokens, listen
/// addresses, the store path and the server address itself: a compromised or mistaken server
/// cannot take an agent off its credentials or point it elsewhere.
public enum CentralKeys {
    indirect enum Rule: Sendable {
        /// A value, or a whole subtree the agent checks itself.
        case value
        case map([String: Rule])
    }

    static let tree: [String: Rule] = [
        "capture": .map(["prefilter": .value]),
        "index": .map(["enabled": .value, "fields": .value]),
        "storage": .map(["retention": .value, "quota": .value, "max_age": .value]),
        "analytics": .map(["enabled": .value, "max_flows": .value, "window": .value, "edge_interval": .value, "txn_sample_rate": .value,
                           "record_files": .value, "record_files_size": .value, "record_files_compress": .value, "tunnels": .value,
                           "reassembly": .value, "workers": .value, "ring_size": .value]),
        "services": .value,
        "export": .map(["spool_size": .value, "kafka": .map(["bootstrap_servers": .value, "topic_prefix": .value, "topics": .value]),
                        "http": .map(["url": .value])]),
        "pins": .value,
        "recordings": .value,
    ]

    /// Keys an agent's own file holds and the server may never set.
    static let localOnly: Set<String> = [
        "agent_id", "query_api_url", "metrics_listen", "store", "api", "logging", "fleet",
        "capture.interface", "capture.snaplen", "capture.promiscuous", "capture.buffer_size",
        "storage.segment_size", "storage.segment_duration", "storage.flush_interval", "storage.write_buffer",
        "export.http.token", "export.http.token_file", "export.http.ca_file", "export.kafka.properties",
    ]

    /// A key the document may not hold, and why.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public var key: String
        public var message: String
        public var description: String { "\(key): \(message)" }
    }

    /// The parsed document when every key is central; nil node for an empty document.
    public static func check(_ yaml: String) throws(Refusal) -> Node? {
        guard yaml.utf8.count <= 1 << 20 else { throw Refusal(key: "(document)", message: "larger than 1 MiB") }
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch { throw Refusal(key: "(document)", message: "not valid YAML: \(error)") }
        guard let node else { return nil }
        try check(node, rules: tree, prefix: "")
        return node
    }

    static func check(_ node: Node, rules: [String: Rule], prefix: String) throws(Refusal) {
        let where_ = prefix.isEmpty ? "(document)" : String(prefix.dropLast())
        guard case .mapping(let m) = node else { throw Refusal(key: where_, message: "must be a mapping") }
        for (k, v) in m {
            guard let key = k.string else { throw Refusal(key: where_, message: "keys must be strings") }
            let path = prefix + key
            guard let rule = rules[key] else {
                if localOnly.contains(path) {
                    throw Refusal(key: path, message: "is local only: set it in the agent's own configuration file, not centrally")
                }
                throw Refusal(key: path, message: "unknown or not centrally settable (central keys here: \(rules.keys.sorted().joined(separator: ", ")))")
            }
            if case .map(let sub) = rule { try check(v, rules: sub, prefix: path + ".") }
        }
    }

    /// `overlay` merged onto `base`: mappings key by key, anything else replaced.
    public static func merge(_ base: Node?, _ overlay: Node?) -> Node? {
        guard let overlay else { return base }
        guard let base else { return overlay }
        guard case .mapping(let b) = base, case .mapping(let o) = overlay else { return overlay }
        var out = b
        for (k, v) in o { out[k] = merge(b[k], v) }
        return .mapping(out)
    }

    /// A node as YAML text (empty for none).
    public static func text(_ node: Node?) -> String {
        guard let node else { return "" }
        return (try? Yams.serialize(node: node, sortKeys: true)) ?? ""
    }
}
