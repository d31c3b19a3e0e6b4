/// One token of a query, with its position in characters.
struct QueryToken: Equatable {
    enum Kind: Equatable {
        case word
        case open
        case close
        case not
        case and
        case or
    }

    var kind: Kind
    /// The text (lowercased for keyword comparison in `lower`).
    var text: String
    var lower: String
    var offset: Int
    var length: Int
}

/// Splits a query into tokens: parentheses, `!`, `&&`, `||`, and words (maximal runs of anything
/// else but white space). `and`, `or`, `not` words become operator tokens.
enum QueryLexer {
    static func tokenize(_ text: String) throws(QueryError) -> [QueryToken] {
        let chars = Array(text)
        var tokens: [QueryToken] = []
        var i = 0
        func isSpecial(_ c: Character) -> Bool { c == "(" || c == ")" || c == "!" || c == "&" || c == "|" }
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            switch c {
            case "(":
                tokens.append(QueryToken(kind: .open, text: "(", lower: "(", offset: i, length: 1))
                i += 1
            case ")":
                tokens.append(QueryToken(kind: .close, text: ")", lower: ")", offset: i, length: 1))
                i += 1
            case "!":
                tokens.append(QueryToken(kind: .not, text: "!", lower: "!", offset: i, length: 1))
                i += 1
            case "&", "|":
                guard i + 1 < chars.count, chars[i + 1] == c else {
                    throw QueryError(.badCharacter, offset: i, length: 1, "'\(c)' must be doubled ('\(c)\(c)')")
                }
                tokens.append(QueryToken(kind: c == "&" ? .and : .or, text: "\(c)\(c)", lower: "\(c)\(c)", offset: i, length: 2))
                i += 2
            default:
                let start = i
                while i < chars.count && !chars[i].isWhitespace && !isSpecial(chars[i]) { i += 1 }
                let word = String(chars[start..<i])
                let lower = word.lowercased()
                let kind: QueryToken.Kind = lower == "and" ? .and : lower == "or" ? .or : lower == "not" ? .not : .word
                tokens.append(QueryToken(kind: kind, text: word, lower: lower, offset: start, length: i - start))
            }
        }
        return tokens
    }
}
