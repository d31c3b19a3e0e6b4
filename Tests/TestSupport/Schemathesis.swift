import Foundation

/// schemathesis (PyPI; `scripts/install-deps.sh --test` installs it) run against a real server of
/// the project with the options both OpenAPI conformance tests share: every check, a fixed seed
/// (`VIGIE_SCHEMATHESIS_SEED` explores others), one worker, bounded examples, requests and time.
public enum Schemathesis {
    /// The `schemathesis` executable on PATH, if any.
    public static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/schemathesis" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var seconds: Int
        public var seed: String
        /// schemathesis's own summary lines (cases generated, issues found).
        public var summary: String {
            stdout.split(separator: "\n").filter { $0.contains("generated") || $0.contains("issues found") || $0.contains("failures in") }
                .joined(separator: " | ")
        }
    }

    /// Runs `schemathesis --config-file CONFIG run SPEC --url URL -H AUTHORIZATION` under `timeout
    /// budget`, in `root` (the repository: tomls name their hooks from there; with the cache off it
    /// writes nothing), its outputs collected in files in `outputs` (no pipe can fill up).
    public static func run(root: String, spec: String, config: String, url: String, authorization: String, maxExamples: Int,
                           budget: Int, outputs: String, environment: [String: String] = [:]) throws -> Output {
        let seed = ProcessInfo.processInfo.environment["VIGIE_SCHEMATHESIS_SEED"] ?? "1"
        let argv = ["timeout", "\(budget)", executable ?? "schemathesis", "--config-file", root + "/" + config, "run", root + "/" + spec,
                    "--url", url, "-H", authorization, "--checks", "all", "--max-examples", "\(maxExamples)", "--seed", seed,
                    "--workers", "1", "--request-timeout", "20", "--max-failures", "20", "--no-color", "--output-truncate", "true",
                    "--generation-database", "none"]
        let p = Process()
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        let outPath = outputs + "/schemathesis.out", errPath = outputs + "/schemathesis.err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let started = Date()
        try p.run()
        p.waitUntilExit()
        try out.close(); try err.close()
        return Output(status: p.terminationStatus, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                      seconds: Int(Date().timeIntervalSince(started)), seed: seed)
    }
}
