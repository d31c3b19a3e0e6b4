import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which agents the server may ask for packets, at which addresses, and how.
///
/// The server calls only agents it knows — agents with an ingest token (`--token`) or declared
/// with `--drilldown-agent` (without any token: every agent, development only) — and only at an
/// address inside `allow`. The default (`allow` empty) disables drill-down.
public struct DrillDownConfig: Sendable {
    /// Networks the server may contact (`--drilldown-allow CIDR`). Empty: drill-down is disabled.
    public var allow: [AddressRange] = []
    /// Agents declared in configuration (`--drilldown-agent AGENT[=URL]`); a URL given here
    /// replaces the one the agent announces in `agent_health.query_api`.
    public var declaredAgents: [String: String?] = [:]
    /// Bearer token sent to every agent (`--drilldown-token-file`).
    public var token: String?
    /// CA bundle that verifies the agents' certificates; client certificate and key (mutual TLS).
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// Refuse `http://` query APIs (`--drilldown-https-only`).
    public var httpsOnly = false
    public var connectTimeoutSeconds: Double = 5
    /// Whole transfer, per agent (`--drilldown-timeout`).
    public var timeoutSeconds: Double = 60
    /// Largest answer accepted from one agent (`--drilldown-max-bytes`); above it the transfer is aborted.
    public var maxResponseBytes = 256 << 20
    /// Agent fetches in flight at once, all requests together (`--drilldown-concurrency`); above it 503.
    public var maxConcurrentFetches = 8
    /// The server's own listen addresses: never a drill-down target.
    public var ownAddresses: [Endpoint] = []

    public struct Endpoint: Sendable, Hashable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) { self.host = host; self.port = port }
    }

    public init() {}

    public var enabled: Bool { !allow.isEmpty }
}

/// An IPv4 or IPv6 network, `ADDRESS/PREFIX` (a bare address is a /32 or /128).
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 bytes, host bits cleared.
    public let network: [UInt8]
    public let prefix: Int

    public struct Invalid: Error, CustomStringConvertible { public var description: String }

    public init(parsing text: String) throws(Invalid) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = parts.first.flatMap({ IPAddressText.parse(String($0)) }) else {
            throw Invalid(description: "'\(text)' is not ADDRESS/PREFIX (e.g. 10.0.0.0/8, 127.0.0.1/32, ::1/128)")
        }
        let bits = address.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p), parts[1].count <= 3, parts[1].allSatisfy(\.isASCII) else {
                throw Invalid(description: "'\(text)': the prefix length must be 0...\(bits)")
            }
            prefix = p
        }
        self.prefix = prefix
        network = Self.mask(address, prefix)
    }

    static func mask(_ address: [UInt8], _ prefix: Int) -> [UInt8] {
        var out = address
        for i in out.indices {
            let keep = min(8, max(0, prefix - i * 8))
            out[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        return out
    }

    public func contains(_ address: [UInt8]) -> Bool {
        let a = IPAddressText.unmapped(address)
        return a.count == network.count && Self.mask(a, prefix) == network
    }

    public var description: String { "\(IPAddressText.format(network))/\(prefix)" }
}
