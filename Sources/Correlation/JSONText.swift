/// JSON string literals written without an encoder (hot paths: history lines, series answers).
public enum JSONText {
    /// `s` as a JSON string literal. `escapingSlash`: `/` as `\/`, as JSONEncoder writes it (the
    /// stored history lines keep the bytes they always had).
    public static func quoted(_ s: String, escapingSlash: Bool = false) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where escapingSlash: out += "\\/"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
