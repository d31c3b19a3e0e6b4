import Foundation
import Records
@testable import Analytics
import VigieTestSupport


/// A record output that keeps every line in memory.
final class CollectingOutput: RecordOutput {
    var lines: [[UInt8]] = []
    var kinds: [RecordKind] = []
    var refuse = false
    var flushes = 0

    func write(_ line: [UInt8], kind: RecordKind, key: String) -> Bool {
        guard !refuse else { return false }
        lines.append(line)
        kinds.append(kind)
        return true
    }

    func flush() { flushes += 1 }

    var bytes: [UInt8] { lines.flatMap { $0 } }

    /// Every line parsed with Foundation.
    func objects() throws -> [[String: Any]] {
        try lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw CocoaError(.coderReadCorrupt)
            }
            return object
        }
    }
}
