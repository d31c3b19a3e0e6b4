import Foundation
import SystemIO

/// The central configuration an agent last applied (`STORE/fleet/applied.json`, docs/fleet.md):
/// written hidden, fsynced and renamed after each applied version, read at start so a restart
/// runs the version it ran before (and reports it) even when the server is unreachable.
public struct AppliedConfiguration: Codable, Sendable, Hashable {
    public var version: Int64
    public var yaml: String
    public var sources: [String]
    /// When it was applied (Unix seconds).
    public var appliedAt: Double

    public init(version: Int64, yaml: String, sources: [String], appliedAt: Double) {
        self.version = version; self.yaml = yaml; self.sources = sources; self.appliedAt = appliedAt
    }

    enum CodingKeys: String, CodingKey { case version, yaml, sources, appliedAt = "applied_at" }

    public static func path(store: String) -> String { store + "/fleet/applied.json" }

    /// nil when none was applied (or the file does not parse: then the local file rules).
    public static func read(store: String) -> AppliedConfiguration? {
        guard let bytes = try? FileSystem.readFile(path(store: store)) else { return nil }
        return try? JSONDecoder().decode(AppliedConfiguration.self, from: Data(bytes))
    }

    public func write(store: String) throws(SystemError) {
        try FileSystem.makeDirectory(store + "/fleet")
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        let bytes = Array((try? e.encode(self)) ?? Data())
        try AtomicFile.write(bytes, to: Self.path(store: store), mode: 0o600)
    }
}
