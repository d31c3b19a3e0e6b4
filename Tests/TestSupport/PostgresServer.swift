import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throw-away PostgreSQL server on loopback for tests: `initdb` into a temporary folder, then
/// `pg_ctl start` on a free port (Debian's `postgresql` package provides the binaries). As root,
/// the server runs as the `postgres` system user (PostgreSQL refuses to run as root).
public final class PostgresServer: @unchecked Sendable {
    // @unchecked: every stored property is an immutable `let`.
    public let port: Int
    public let directory: String
    private let bin: String
    private let runAs: String?

    /// The folder of `initdb`/`pg_ctl` (newest installed major version), nil when PostgreSQL is not installed.
    public static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") {
            return "\(root)/\(v)/bin"
        }
        return nil
    }

    /// Why PostgreSQL tests cannot run here, or nil when they can.
    public static var unavailableReason: String? {
        guard binDirectory != nil else { return "PostgreSQL server binaries not installed (apt install postgresql; scripts/install-deps.sh --test)" }
        if getuid() == 0 && getpwnam("postgres") == nil { return "running as root and no 'postgres' user to run the server as" }
        return nil
    }

    public init() throws {
        guard let bin = Self.binDirectory else { throw Failure("PostgreSQL is not installed") }
        self.bin = bin
        runAs = getuid() == 0 ? "postgres" : nil
        directory = "/tmp/vigie-pg-\(UUID().uuidString.prefix(8))"
        port = TestPorts.unused()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let user = runAs, let pw = getpwnam(user) { chown(directory, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        Self.register(self)
        try run("\(bin)/initdb", ["-D", directory + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        try start()
    }

    /// `postgresql://` URL of database `name` (created by `createDatabase`).
    public func url(_ name: String = "postgres") -> String { "postgresql://postgres@127.0.0.1:\(port)/\(name)" }

    public func start() throws {
        try run("\(bin)/pg_ctl", ["-D", directory + "/data", "-l", directory + "/log", "-w", "-t", "30",
                                  "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off -c max_connections=50",
                                  "start"])
    }

    /// Stops the server; `immediate`: like a crash (no checkpoint, connections cut).
    public func stop(immediate: Bool = false) throws {
        try run("\(bin)/pg_ctl", ["-D", directory + "/data", "-w", "-m", immediate ? "immediate" : "fast", "stop"])
    }

    public func createDatabase(_ name: String) throws {
        try run("/usr/bin/env", ["psql", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-q", "-c", "CREATE DATABASE \(name)"])
    }

    /// Runs SQL with psql and returns its unaligned output.
    public func query(_ sql: String, database: String) throws -> String {
        try run("/usr/bin/env", ["psql", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-At", "-c", sql])
    }

    // Servers still running when the test process exits (a suite-wide server is never deinitialized) are stopped then.
    private nonisolated(unsafe) static var running: [PostgresServer] = []
    private static let runningLock = NSLock()
    private static func register(_ s: PostgresServer) {
        runningLock.withLock {
            if running.isEmpty { atexit { PostgresServer.destroyAll() } }
            running.append(s)
        }
    }
    private static func destroyAll() {
        for s in runningLock.withLock({ running }) { s.destroy() }
    }

    public func destroy() {
        try? stop(immediate: true)
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { destroy() }

    /// Runs a tool to its end (as the `postgres` user when root) and returns its standard output.
    /// posix_spawn + waitpid, not Foundation's Process: the server that `pg_ctl start` leaves running
    /// inherits descriptors through which Process notices its child's end, so Process would wait
    /// for the server instead of pg_ctl.
    @discardableResult
    private func run(_ tool: String, _ args: [String]) throws -> String {
        let argv = (runAs != nil && !tool.hasSuffix("/env")) ? ["/usr/sbin/runuser", "-u", runAs!, "--", tool] + args : [tool] + args
        let outPath = NSTemporaryDirectory() + "vigie-pg-out-\(UUID().uuidString)", errPath = outPath + ".err"
        defer { unlink(outPath); unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw Failure("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let data = FileManager.default.contents(atPath: outPath) ?? Data()
        let errors = FileManager.default.contents(atPath: errPath) ?? Data()
        guard status == 0 else {
            throw Failure("\(tool) \(args.joined(separator: " ")) failed (status \(status)): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }
}
