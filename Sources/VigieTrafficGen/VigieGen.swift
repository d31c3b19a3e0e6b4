import ArgumentParser
import TimeFormat
import PcapFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `vigie-gen`: writes a deterministic, realistic synthetic capture for benchmarks.
@main
struct VigieGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigie-gen",
        abstract: "Write a deterministic synthetic pcap capture (TCP/TLS/HTTP/DB/SSH sessions, DNS, refusals).",
        discussion: """
            Stops at whichever of --bytes or --packets is reached first (default: --bytes 1G). \
            The same options and seed always produce the same file.
            """
    )

    @Option(name: .shortAndLong, help: "Output pcap file ('-' for standard output).")
    var output: String

    @Option(help: "Stop once the file reaches this size (K/M/G suffixes are powers of 1024).")
    var bytes: ByteCount?

    @Option(help: "Stop after this many packets.")
    var packets: UInt64?

    @Option(help: "PRNG seed.")
    var seed: UInt64 = 1

    @Option(help: "Number of client hosts.")
    var clients: Int = 2_000

    @Option(help: "Number of server hosts.")
    var servers: Int = 200

    @Option(help: "Timestamp of the first packet (ISO 8601, UTC offset allowed, or epoch seconds).")
    var start: String = "2026-01-01T00:00:00Z"

    @Option(name: .customLong("rate-pps"), help: "Average packets per second of capture time.")
    var ratePPS: Double = 200_000

    @Flag(help: "Write nanosecond timestamps (default: microseconds).")
    var nanosecond = false

    @Option(help: "An outage: FROM-TO in seconds after the start (e.g. 60-120), during which one server host refuses every TCP connection (its services go down, then come back).")
    var outage: String?

    @Option(name: .customLong("outage-server"), help: "The server host of --outage, by index (0 is 172.16.0.1).")
    var outageServer: Int = 0

    /// `--outage FROM-TO` in seconds, as nanoseconds after the start.
    static func outageWindow(_ text: String) -> (from: UInt64, to: UInt64)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let from = Double(parts[0]), let to = Double(parts[1]), from >= 0, to > from, to < 1e9 else { return nil }
        return (UInt64(from * 1e9), UInt64(to * 1e9))
    }

    func validate() throws {
        guard (1...NetworkPlan.maxClients).contains(clients) else {
            throw ValidationError("--clients must be between 1 and \(NetworkPlan.maxClients)")
        }
        guard (1...NetworkPlan.maxServers).contains(servers) else {
            throw ValidationError("--servers must be between 1 and \(NetworkPlan.maxServers)")
        }
        guard ratePPS >= 1 && ratePPS <= 1e9 else { throw ValidationError("--rate-pps must be between 1 and 1e9") }
        if let packets, packets == 0 { throw ValidationError("--packets must be positive") }
        if let bytes, bytes.value < 1_024 { throw ValidationError("--bytes must be at least 1K") }
        if let outage, Self.outageWindow(outage) == nil {
            throw ValidationError("--outage: expected FROM-TO in seconds after the start, FROM < TO (e.g. 60-120)")
        }
        guard (0..<servers).contains(outageServer) else { throw ValidationError("--outage-server must be between 0 and --servers - 1") }
        guard StartTime.parse(start) != nil else {
            throw ValidationError("--start: expected e.g. 2026-01-01T00:00:00Z or epoch seconds")
        }
    }

    func run() throws {
        let maxBytes: UInt64
        switch (bytes, packets) {
        case (nil, nil): maxBytes = 1 << 30
        case (nil, _): maxBytes = .max
        case (let b?, _): maxBytes = b.value
        }
        var config = GeneratorConfig(
            output: output, maxBytes: maxBytes, maxPackets: packets ?? .max, seed: seed, clients: clients,
            servers: servers, startEpochNanos: StartTime.parse(start)!, ratePPS: ratePPS,
            resolution: nanosecond ? .nano : .micro)
        if let outage, let w = Self.outageWindow(outage) {
            config.outage = .init(server: UInt32(outageServer), from: w.from, to: w.to)
        }
        let clock = ContinuousClock()
        let began = clock.now
        let writer = try CaptureWriter(path: output)
        var engine = Engine(config: config, writer: writer)
        try engine.run { fraction, stats, bytes in
            let elapsed = seconds(clock.now - began)
            printError("vigie-gen: \(Int((fraction * 100).rounded()))%  \(stats.packets) packets  "
                + "\(bytes >> 20) MiB  \(format(elapsed, 1)) s")
        }
        let wall = seconds(clock.now - began)
        let summary = Summary(stats: engine.stats, bytes: writer.totalBytes, wallSeconds: wall)
        if output == "-" { printError(summary.text) } else { print(summary.text) }
    }
}

/// A byte count with an optional K/M/G/T suffix (powers of 1024).
struct ByteCount: ExpressibleByArgument {
    let value: UInt64

    init?(argument: String) {
        var digits = argument.uppercased()
        if digits.hasSuffix("IB") { digits.removeLast(2) } else if digits.hasSuffix("B") { digits.removeLast() }
        var shift: UInt64 = 0
        switch digits.last {
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        case "T": shift = 40
        default: break
        }
        if shift > 0 { digits.removeLast() }
        guard let n = Double(digits), n > 0, n * Double(UInt64(1) << shift) < 1e18 else { return nil }
        value = UInt64(n * Double(UInt64(1) << shift))
    }
}

/// Parses `--start`.
enum StartTime {
    /// Nanoseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` or of an integer
    /// number of epoch seconds; nil if malformed or outside the pcap range (1970–2106).
    static func parse(_ text: String) -> UInt64? {
        if let seconds = UInt64(text) { return seconds <= UInt64(UInt32.max) ? seconds * 1_000_000_000 : nil }
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for c in b[from..<(from + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 19, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116 || b[10] == 32,
              b[13] == 58, b[16] == 58,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var nanos = 0
        if i < b.count && b[i] == 46 {
            i += 1
            var scale = 100_000_000
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                nanos += Int(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < b.count && (b[i] == 90 || b[i] == 122) {
            i += 1
        } else if i < b.count && (b[i] == 43 || b[i] == 45) {
            guard let h = number(i + 1, 2), b.count > i + 3, let m = number(b[i + 3] == 58 ? i + 4 : i + 3, 2)
            else { return nil }
            offset = (h * 60 + m) * 60 * (b[i] == 43 ? 1 : -1)
            i += b[i + 3] == 58 ? 6 : 5
        }
        guard i == b.count else { return nil }
        let epoch = CivilCalendar.daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60
            + second - offset
        guard epoch >= 0 && epoch <= Int(UInt32.max) else { return nil }
        return UInt64(epoch) * 1_000_000_000 + UInt64(nanos)
    }
}

/// Prints a line to standard error.
func printError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// `value` with `decimals` digits after the point.
func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded()
    let whole = Int(scaled / scale)
    guard decimals > 0 else { return String(whole) }
    let fraction = Int(abs(scaled) - Double(abs(whole)) * scale)
    let digits = String(fraction)
    return "\(value < 0 && whole == 0 ? "-" : "")\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
}
