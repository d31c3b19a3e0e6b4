import Foundation
import VigieTestSupport

/// Runs tshark (the independent reference) and returns its `-T fields` rows.
///
/// Payload bytes also come from tshark (`udp.payload`, `tcp.payload`, the last occurrence so a
/// tunnelled packet yields its inner payload): the parsers under test see exactly the bytes of one
/// UDP datagram or TCP segment, as in production, and frames are matched by number.
enum Tshark {
    static func rows(_ file: String, filter: String, fields: [String], occurrence: String = "f",
                     options: [String] = []) -> [[String]] {
        guard let tshark = Corpus.tshark, let directory = Corpus.directory else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        var args = ["-n", "-r", directory + "/" + file, "-Y", filter, "-T", "fields",
                    "-E", "occurrence=\(occurrence)", "-E", "aggregator=\(aggregator)", "-E", "separator=/t"] + options
        for f in fields { args += ["-e", f] }
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            var cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            while cols.count < fields.count { cols.append("") }
            return cols
        }
    }

    /// Separates the values of a repeated field; a control character because URIs may hold `|`.
    static let aggregator = "\u{1F}"

    /// Splits a field printed with ``aggregator``.
    static func values(_ field: String) -> [String] {
        field.split(separator: Character(aggregator), omittingEmptySubsequences: false).map(String.init)
    }

    /// tshark options that make it decode each TCP segment on its own, as our parsers do: no
    /// reassembly (a message is decoded in the segment that starts it) and no sequence analysis
    /// (otherwise retransmitted / out-of-order segments are not handed to HTTP at all).
    static let noReassembly = ["-o", "tcp.desegment_tcp_streams:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE"]

    /// `aa:bb:cc` or `aabbcc` hex → bytes.
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: continue
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }

    /// tshark 4.0 prints booleans as 1/0 or True/False depending on the field.
    static func isTrue(_ s: String) -> Bool { s == "1" || s == "True" }
}
