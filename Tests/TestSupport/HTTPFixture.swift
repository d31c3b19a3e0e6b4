import Foundation
import Testing

/// A running `vigie-server serve` on a free loopback port with the shop inventory and one token.
public final class HTTPFixture {
    public let dir: String
    public let ownsDirectory: Bool
    public let port = TestPorts.unused()
    public let server = Process()

    /// `dir`: a data directory kept after the fixture (restart tests); `inventory`: pass the shop inventory;
    /// `arguments`: more options of `serve`.
    public init(maxBody: Int = 16 * 1024 * 1024, dir: String? = nil, inventory: Bool = true, arguments: [String] = []) throws {
        self.dir = dir ?? Support.temporaryDirectory("http")
        ownsDirectory = dir == nil
        try shopYAML.write(toFile: self.dir + "/inventory.yaml", atomically: true, encoding: .utf8)
        server.executableURL = URL(fileURLWithPath: Self.serverBinary)
        server.arguments = ["serve", "--data", self.dir + "/data", "--listen", "127.0.0.1:\(port)",
                            "--token", "edge-paris-01=t0k3n", "--max-body", "\(maxBody)", "--log-level", "error"]
            + (inventory ? ["--inventory", self.dir + "/inventory.yaml"] : []) + arguments
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // Up to 30 s: under the whole suite's parallel load a debug server has taken over 10 s to listen.
        for _ in 0..<300 {
            if (try? Self.run(["curl", "-s", "-o", "/dev/null", url("/metrics")]))?.status == 0 { return }
            if !server.isRunning { return }
            usleep(100_000)
        }
    }

    deinit {
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
        if ownsDirectory { try? FileManager.default.removeItem(atPath: dir) }
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// POSTs lines as the agent's HTTP sink does: gzip NDJSON, bearer token, Idempotency-Key.
    public func post(_ lines: [String], token: String = "t0k3n", key: String? = nil) throws -> (status: Int, body: String) {
        let plain = dir + "/batch.ndjson"
        try (lines.joined(separator: "\n") + "\n").write(toFile: plain, atomically: true, encoding: .utf8)
        _ = try Self.run(["sh", "-c", "gzip -c '\(plain)' > '\(plain).gz'"])
        var argv = ["curl", "-s", "-w", "\n%{http_code}", "-H", "Content-Type: application/x-ndjson", "-H", "Content-Encoding: gzip",
                    "-H", "Authorization: Bearer \(token)", "--data-binary", "@\(plain).gz"]
        if let key { argv += ["-H", "Idempotency-Key: \(key)"] }
        let r = try Self.run(argv + [url("/api/v1/ingest")])
        let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
        return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, String(r.stdout[..<cut]))
    }

    public func get(_ path: String) throws -> (status: Int, body: String) {
        let r = try Self.run(["curl", "-s", "-w", "\n%{http_code}", url(path)])
        let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
        return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, String(r.stdout[..<cut]))
    }

    public func jsonObject(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    /// Runs a command to completion (``Support/run(_:stdin:lossy:)``: stdout and stderr through files),
    /// its output decoded leniently (a drilled pcap body is not UTF-8).
    @discardableResult
    public static func run(_ argv: [String]) throws -> Support.Run { try Support.run(argv, lossy: true) }

    /// A tool on PATH (``Support/tool(_:)``).
    public static func hasTool(_ name: String) -> Bool { Support.tool(name) != nil }

    /// Runs `vigie-server` with `arguments` to completion (option errors): its exit status and stderr.
    public static func runServer(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let r = try Support.run([serverBinary] + arguments, lossy: true)
        return (r.status, r.stderr)
    }

    /// The built `vigie-server` binary, or `VIGIE_SERVER_BINARY` (``Support/serverBinary``).
    public static var serverBinary: String { Support.serverBinary }
}
