import Foundation
import Synchronization

/// Captures a Scapy script in `Scripts/` writes into a temporary directory, generated once per test
/// process on first use and removed when the process exits. The script takes the directory as its
/// only argument and exits 2 when Scapy is missing (the tests then skip, saying so).
public final class ScriptCaptures: Sendable {
    /// Why the captures are not there.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// The directory holding the captures, or why there is none.
    public let directory: Result<String, Unavailable>

    /// Runs `script` now (call from a `static let`, so it runs once).
    public init(script: String, purpose: String) {
        directory = Self.generate(script: script, purpose: purpose)
    }

    /// The path of one capture (`name` without `.pcap`), or nil when the captures are unavailable.
    public func path(_ name: String) -> String? {
        guard case .success(let directory) = directory else { return nil }
        return directory + "/" + name + ".pcap"
    }

    private static func generate(script: String, purpose: String) -> Result<String, Unavailable> {
        guard let python = Support.tool("python3") else { return .failure(Unavailable(description: "python3 not found: \(purpose) tests skipped")) }
        let directory = Support.temporaryDirectory(purpose)
        generatedDirectories.withLock { $0.append(directory) }
        _ = registerCleanup
        do {
            let run = try Support.run([python, Support.script(script), directory])
            switch run.status {
            case 0: return .success(directory)
            case 2: return .failure(Unavailable(description: "scapy is not importable (scripts/install-deps.sh --test installs it): \(purpose) tests skipped"))
            default: return .failure(Unavailable(description: "\(script) failed (\(run.status)): \(run.stderr)"))
            }
        } catch {
            return .failure(Unavailable(description: "\(script) could not run: \(error)"))
        }
    }

    private static let registerCleanup: Void = {
        atexit {
            for directory in generatedDirectories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: directory) }
        }
    }()
}

/// Directories to remove when the test process exits.
private let generatedDirectories = Mutex<[String]>([])
