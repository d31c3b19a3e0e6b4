import Foundation
import SystemIO

/// The bearer token the HTTP sink sends, and the file it came from (`export.http.token_file`).
/// After the server refused the token (401/403) the sink calls ``reload()`` before each retry, so an
/// operator who writes the rotated token into the file gets delivery back without a restart.
/// Owned by the sink's thread.
public struct BearerToken {
    private(set) var value: String?
    let file: String?
    /// The last reload problem, so a missing file is logged once rather than on every retry.
    private var lastProblem: String?

    init(value: String?, file: String?) {
        self.value = value
        self.file = file
    }

    /// What a reload found.
    enum Reload: Equatable {
        /// No file configured, or it holds the token already sent.
        case unchanged
        /// The file holds another token, now sent.
        case changed
        /// The file gave no token (missing, unreadable, empty): the previous one is kept. `isNew`
        /// when this problem differs from the last reload's (worth a log line).
        case problem(ExportError, isNew: Bool)
    }

    /// Re-reads the file (if any); keeps the current token when the file gives none.
    mutating func reload() -> Reload {
        guard let file else { return .unchanged }
        do throws(ExportError) {
            let token = try Self.read(file)
            lastProblem = nil
            guard token != value else { return .unchanged }
            value = token
            return .changed
        } catch {
            defer { lastProblem = error.description }
            return .problem(error, isNew: lastProblem != error.description)
        }
    }

    /// The one token `path` holds, surrounding whitespace trimmed.
    public static func read(_ path: String) throws(ExportError) -> String {
        guard let bytes = try? FileSystem.readFile(path) else {
            throw ExportError(.badConfig, context: path, "cannot read the token file")
        }
        let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains(where: \.isNewline) else {
            throw ExportError(.badConfig, context: path, "the token file must hold exactly one token")
        }
        return token
    }
}
