import Foundation

/// Validates NDJSON records against `Schemas/records/<kind>.schema.json` with Python's
/// `jsonschema` (draft 2020-12), run as a subprocess.
public enum SchemaValidator {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let schemaDirectory = repoRoot.appendingPathComponent("Schemas/records")

    /// Whether `python3` with `jsonschema` is installed.
    public static let isAvailable: Bool = (try? run(["-c", "import jsonschema"], input: Data()).status) == 0

    static let script = """
    import json, sys, os
    from jsonschema import Draft202012Validator
    d = sys.argv[1]
    validators = {}
    failures = 0
    for n, line in enumerate(sys.stdin, 1):
        rec = json.loads(line)
        kind = rec.get("kind")
        path = os.path.join(d, f"{kind}.schema.json")
        if not os.path.exists(path):
            print(f"line {n}: no schema for kind {kind!r}"); failures += 1; continue
        if kind not in validators:
            schema = json.load(open(path))
            Draft202012Validator.check_schema(schema)
            validators[kind] = Draft202012Validator(schema)
        for e in validators[kind].iter_errors(rec):
            print(f"line {n} ({kind}): {e.json_path}: {e.message}"); failures += 1
    sys.exit(1 if failures else 0)
    """

    /// Validation errors of the lines (empty when all are valid).
    public static func validate(_ ndjson: [UInt8]) throws -> [String] {
        let result = try run(["-c", script, schemaDirectory.path], input: Data(ndjson))
        let lines = result.output.split(separator: "\n").map(String.init)
        if result.status != 0 && lines.isEmpty { return ["validator exited \(result.status)"] }
        return lines
    }

    static func run(_ arguments: [String], input: Data) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        // Write on another thread: a large input would otherwise fill the pipe while the child
        // blocks writing its own output.
        let writer = stdin.fileHandleForWriting
        let feeder = Thread {
            writer.write(input)
            try? writer.close()
        }
        feeder.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
