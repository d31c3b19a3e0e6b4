/// A line diff of two texts in unified form (`-` removed, `+` added, ` ` kept), for the
/// configuration history (`GET .../config/diff`) and the audit. Longest common subsequence on the
/// lines between the common head and tail; beyond `maxLines` changed lines on a side, the middle
/// is shown as all removed then all added (still a correct diff, just not a minimal one).
public enum LineDiff {
    public static let maxLines = 2_000

    public static func unified(_ old: String, _ new: String, oldName: String = "a", newName: String = "b") -> String {
        let a = lines(old), b = lines(new)
        var head = 0
        while head < a.count && head < b.count && a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head && tail < b.count - head && a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let am = Array(a[head..<(a.count - tail)]), bm = Array(b[head..<(b.count - tail)])
        var out = ["--- \(oldName)", "+++ \(newName)"]
        if am.isEmpty && bm.isEmpty { return "" }
        for l in a[..<head] { out.append(" " + l) }
        out += middle(am, bm)
        for l in a[(a.count - tail)...] { out.append(" " + l) }
        return out.joined(separator: "\n") + "\n"
    }

    public static func lines(_ s: String) -> [Substring] {
        var l = s.split(separator: "\n", omittingEmptySubsequences: false)
        if l.last == "" { l.removeLast() }
        return l
    }

    static func middle(_ a: [Substring], _ b: [Substring]) -> [String] {
        guard a.count <= maxLines, b.count <= maxLines, !a.isEmpty, !b.isEmpty else {
            return a.map { "-" + $0 } + b.map { "+" + $0 }
        }
        // lcs[i][j]: longest common subsequence of a[i...] and b[j...].
        let w = b.count + 1
        var lcs = [Int32](repeating: 0, count: (a.count + 1) * w)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i * w + j] = a[i] == b[j] ? lcs[(i + 1) * w + j + 1] + 1 : max(lcs[(i + 1) * w + j], lcs[i * w + j + 1])
            }
        }
        var out: [String] = [], i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] { out.append(" " + a[i]); i += 1; j += 1 }
            else if i < a.count, j == b.count || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] { out.append("-" + a[i]); i += 1 }
            else { out.append("+" + b[j]); j += 1 }
        }
        return out
    }
}
