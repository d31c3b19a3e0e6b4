import PacketDecoding
import TimeFormat

/// Parses the query language (docs/query-language.md): tcpdump-style primitives, `and`/`or`/`not`
/// (also `&&`, `||`, `!`), parentheses, application terms and time bounds.
///
/// Precedence follows tcpdump: `not` binds tightest; `and` and `or` have **equal** precedence and
/// associate left to right, so `a or b and c` is `(a or b) and c`. A value with no keyword
/// repeats the previous primitive's keyword, also like tcpdump: `port 53 or 5353`,
/// `host 10.0.0.1 and not 10.0.0.2`.
public enum QueryParser {
    /// The deepest a query may nest: parentheses and `not`/`!` in a row, and the depth of the parse
    /// tree (a run of one operator, `a or b or c ...`, is built balanced and costs log2 of its
    /// length). The parser, the planner and the tree's own release recurse once per level, so this
    /// bound is what keeps a hostile query (20,000 `(`) from overflowing a thread's stack.
    public static let maxDepth = 256
    /// The longest query text, in bytes of UTF-8.
    public static let maxLength = 65_536

    /// Parses `text`. `now` (nanoseconds since the epoch) anchors relative times (`15m ago`); it
    /// defaults to the current time. An empty query selects every packet.
    public static func parse(_ text: String, now: Int64? = nil) throws(QueryError) -> Query {
        guard text.utf8.count <= maxLength else {
            throw QueryError(.tooLong, offset: 0, length: 0, "the query is \(text.utf8.count) bytes long; the most is \(maxLength)")
        }
        var parser = QueryGrammar(tokens: try QueryLexer.tokenize(text), now: now ?? TimeParser.now(), length: text.count)
        return try parser.parseQuery()
    }
}

/// A parse tree and its depth (1 for a term).
struct Deep {
    var node: QueryNode
    var depth: Int
}

/// Parse tree with time bounds still inline (they are lifted to the query afterwards).
indirect enum QueryNode {
    case term(Term)
    case and(QueryNode, QueryNode)
    case or(QueryNode, QueryNode)
    case not(QueryNode)
    case time(after: Bool, value: Int64, token: QueryToken)
}

/// The keyword(s) of the last primitive, which a bare value repeats.
struct Qualifiers {
    enum Kind {
        case hostOrNet
        case host
        case net
        case port
        case portrange
        case proto(IPFamily?)
        case vlan
        case ether
        case application(ApplicationField)
        case tunnel(TunnelTerm)
    }

    var kind: Kind
    var direction: Direction = .either
    /// `ip`, `ip6`, `arp`, `rarp`, `tcp`, `udp`, `sctp` in front of the keyword.
    var protocolQualifier: QueryToken?
    /// The primitive was written after `outer` (a repeated bare value is on the outer layer too).
    var outer = false
}

/// The recursive-descent parser over one query's tokens (grammar here; values and time bounds in
/// QueryParser+Values.swift).
struct QueryGrammar {
    let tokens: [QueryToken]
    let now: Int64
    let length: Int
    var index = 0
    var last: Qualifiers?
    /// Parentheses and `not`s open around the token being parsed (the parser's own recursion).
    var nesting = 0

    init(tokens: [QueryToken], now: Int64, length: Int) {
        self.tokens = tokens
        self.now = now
        self.length = length
    }

    // MARK: Token helpers

    var peek: QueryToken? { index < tokens.count ? tokens[index] : nil }

    func peek(_ ahead: Int) -> QueryToken? { index + ahead < tokens.count ? tokens[index + ahead] : nil }

    mutating func advance() -> QueryToken? {
        guard index < tokens.count else { return nil }
        index += 1
        return tokens[index - 1]
    }

    func endError(_ what: String) -> QueryError {
        QueryError(.unexpectedEnd, offset: length, length: 0, "expected \(what)")
    }

    func error(_ code: QueryError.Code, _ token: QueryToken, _ message: String) -> QueryError {
        QueryError(code, offset: token.offset, length: token.length, message)
    }

    /// The next token, which must be a word (a value or keyword).
    mutating func expectWord(_ what: String) throws(QueryError) -> QueryToken {
        guard let t = advance() else { throw endError(what) }
        guard t.kind == .word else { throw error(.unexpectedToken, t, "expected \(what), found '\(t.text)'") }
        return t
    }

    // MARK: Grammar

    mutating func parseQuery() throws(QueryError) -> Query {
        guard !tokens.isEmpty else { return Query(filter: nil) }
        let node = try parseExpression().node
        if let t = peek {
            throw error(t.kind == .close ? .unbalancedParenthesis : .unexpectedToken, t,
                        t.kind == .close ? "')' without a matching '('" : "expected 'and', 'or' or the end of the query, found '\(t.text)'")
        }
        var after: (Int64, QueryToken)?
        var before: (Int64, QueryToken)?
        let filter = try lift(node, topLevel: true, after: &after, before: &before)
        if let (a, at) = after, let (b, bt) = before, a >= b {
            let culprit = at.offset > bt.offset ? at : bt
            throw error(.invertedTimeRange, culprit, "'after' (\(at.text)) is not earlier than 'before' (\(bt.text))")
        }
        return Query(filter: filter, after: after?.0, before: before?.0)
    }

    /// unary (('and' | 'or') unary)*, left-associative, equal precedence (tcpdump). A run of one
    /// operator is associative, so it is built as a balanced tree: `a or b or ...` over 1,000 terms
    /// is 10 levels deep, not 1,000 (the planner flattens it back into one list either way).
    mutating func parseExpression() throws(QueryError) -> Deep {
        var left = try parseUnary()
        while let t = peek, t.kind == .and || t.kind == .or {
            var run = [left]
            while let op = peek, op.kind == t.kind {
                index += 1
                run.append(try parseUnary())
            }
            left = Self.balanced(run[...], and: t.kind == .and)
            try checkDepth(left.depth, at: t)
        }
        return left
    }

    /// `parts` joined by one operator, left to right, as a balanced tree.
    static func balanced(_ parts: ArraySlice<Deep>, and: Bool) -> Deep {
        guard parts.count > 1 else { return parts[parts.startIndex] }
        let middle = parts.startIndex + parts.count / 2
        let l = balanced(parts[..<middle], and: and), r = balanced(parts[middle...], and: and)
        return Deep(node: and ? .and(l.node, r.node) : .or(l.node, r.node), depth: max(l.depth, r.depth) + 1)
    }

    func checkDepth(_ depth: Int, at t: QueryToken) throws(QueryError) {
        guard depth <= QueryParser.maxDepth else {
            throw error(.tooDeep, t, "the query is nested more than \(QueryParser.maxDepth) levels deep here")
        }
    }

    /// Enters one more level of parentheses or `not` at `t`; refused past ``QueryParser/maxDepth``.
    mutating func enter(_ t: QueryToken) throws(QueryError) {
        nesting += 1
        guard nesting <= QueryParser.maxDepth else {
            throw error(.tooDeep, t, "the query is nested more than \(QueryParser.maxDepth) levels deep here (parentheses and 'not's)")
        }
    }

    mutating func parseUnary() throws(QueryError) -> Deep {
        guard let t = peek else { throw endError("a term") }
        if t.kind == .not {
            try enter(t)
            index += 1
            let inner = try parseUnary()
            nesting -= 1
            let negated = Deep(node: .not(inner.node), depth: inner.depth + 1)
            try checkDepth(negated.depth, at: t)
            return negated
        }
        return try parsePrimary()
    }

    mutating func parsePrimary() throws(QueryError) -> Deep {
        guard let t = peek else { throw endError("a term") }
        switch t.kind {
        case .open:
            try enter(t)
            index += 1
            guard let next = peek else { throw error(.unbalancedParenthesis, t, "'(' is never closed") }
            if next.kind == .close { throw error(.unexpectedToken, next, "empty parentheses") }
            let inner = try parseExpression()
            guard let close = advance() else { throw error(.unbalancedParenthesis, t, "'(' is never closed") }
            guard close.kind == .close else { throw error(.unexpectedToken, close, "expected ')', found '\(close.text)'") }
            nesting -= 1
            return inner
        case .word:
            // A primitive is a term, or `proto and term` for a qualified one: two levels at most.
            return Deep(node: try parsePrimitive(), depth: 2)
        case .close:
            throw error(.unexpectedToken, t, "expected a term, found ')'")
        default:
            throw error(.unexpectedToken, t, "expected a term, found '\(t.text)'")
        }
    }

    mutating func parsePrimitive() throws(QueryError) -> QueryNode {
        let t = try expectWord("a term")
        switch t.lower {
        case "after", "before":
            return .time(after: t.lower == "after", value: try parseTime(after: t), token: t)
        case "dns.qname", "http.host", "tls.sni":
            guard let field = ApplicationField(rawValue: t.lower) else { throw error(.unknownField, t, "unknown field '\(t.text)'") }
            let q = Qualifiers(kind: .application(field))
            last = q
            return try value(for: q, try expectWord("a name after '\(t.text)'"))
        case "outer":
            guard let next = peek, next.kind == .word else { throw endError("a term after 'outer'") }
            let node = try outerNode(try parsePrimitive(), at: t)
            last?.outer = true
            return node
        case "vxlan", "geneve", "mpls", "gre", "erspan", "pppoes", "gtp":
            // `proto tcp or gre`: after `proto`, `gre` is still the protocol name.
            if case .proto = last?.kind, t.lower == "gre" { return try bareValue(t) }
            let kind = TunnelTerm(rawValue: t.lower)!
            let q = Qualifiers(kind: .tunnel(kind))
            last = q
            if let v = peek, v.kind == .word, v.lower.first?.isNumber == true {
                index += 1
                return try value(for: q, v)
            }
            return .term(.tunnel(kind, nil))
        case "vlan":
            let q = Qualifiers(kind: .vlan)
            last = q
            if let v = peek, v.kind == .word, v.lower.first?.isNumber == true {
                index += 1
                return try value(for: q, v)
            }
            return .term(.vlan(nil))
        case "ether", "mac":
            var q = Qualifiers(kind: .ether)
            if t.lower == "ether" {
                q.direction = parseDirection() ?? .either
                if peek?.lower == "host" { index += 1 }
            }
            last = q
            return try value(for: q, try expectWord("a MAC address"))
        case "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6":
            if let next = peek, next.kind == .word,
               ["src", "dst", "host", "net", "port", "portrange", "proto"].contains(next.lower) {
                return try qualified(protocolQualifier: t)
            }
            return .term(standalone(t))
        case "src", "dst", "host", "net", "port", "portrange", "proto":
            index -= 1
            return try qualified(protocolQualifier: nil)
        default:
            return try bareValue(t)
        }
    }

    /// `[src|dst|src or dst|src and dst] [host|net|port|portrange|proto] value`, after an optional
    /// protocol qualifier.
    mutating func qualified(protocolQualifier: QueryToken?) throws(QueryError) -> QueryNode {
        var q = Qualifiers(kind: .hostOrNet, protocolQualifier: protocolQualifier)
        if let d = parseDirection() { q.direction = d }
        if let k = peek, k.kind == .word {
            switch k.lower {
            case "host": q.kind = .host
            case "net": q.kind = .net
            case "port": q.kind = .port
            case "portrange": q.kind = .portrange
            case "proto":
                guard q.direction == .either else { throw error(.badQualifier, k, "'proto' takes no src/dst qualifier") }
                let family: IPFamily? = protocolQualifier?.lower == "ip" ? .v4 : protocolQualifier?.lower == "ip6" ? .v6 : nil
                if let p = protocolQualifier, family == nil {
                    throw error(.badQualifier, p, "'\(p.text) proto' is not valid: use 'ip proto N' or 'ip6 proto N'")
                }
                q.kind = .proto(family)
                q.protocolQualifier = nil
            default: break
            }
            if case .hostOrNet = q.kind {} else { index += 1 }
        }
        try checkQualifier(q)
        last = q
        return try value(for: q, try expectWord("a value"))
    }

    /// `src`, `dst`, `src or dst`, `src and dst`; nil when the next token is none of them.
    mutating func parseDirection() -> Direction? {
        guard let t = peek, t.kind == .word, t.lower == "src" || t.lower == "dst" else { return nil }
        index += 1
        if let op = peek, op.kind == .and || op.kind == .or, let other = peek(1), other.kind == .word,
           other.lower == (t.lower == "src" ? "dst" : "src"), let after = peek(2), after.kind == .word {
            index += 2
            return op.kind == .and ? .both : .either
        }
        return t.lower == "src" ? .source : .destination
    }

    func checkQualifier(_ q: Qualifiers) throws(QueryError) {
        guard let p = q.protocolQualifier else { return }
        switch (p.lower, q.kind) {
        case ("ip", .host), ("ip", .net), ("ip", .hostOrNet), ("ip6", .host), ("ip6", .net), ("ip6", .hostOrNet),
             ("arp", .host), ("arp", .net), ("arp", .hostOrNet), ("rarp", .host), ("rarp", .net), ("rarp", .hostOrNet),
             ("tcp", .port), ("tcp", .portrange), ("udp", .port), ("udp", .portrange), ("sctp", .port), ("sctp", .portrange):
            return
        default:
            throw error(.badQualifier, p, "'\(p.text)' cannot qualify this term")
        }
    }

    func standalone(_ t: QueryToken) -> Term {
        switch t.lower {
        case "ip": .network(.ip)
        case "ip6": .network(.ip6)
        case "arp": .network(.arp)
        case "rarp": .network(.rarp)
        case "tcp": .ipProtocol(6, nil)
        case "udp": .ipProtocol(17, nil)
        case "sctp": .ipProtocol(132, nil)
        case "icmp": .ipProtocol(1, .v4)
        default: .ipProtocol(58, .v6)  // icmp6
        }
    }

    /// A word that is no keyword: a value repeating the previous keyword, or an address / network.
    mutating func bareValue(_ t: QueryToken) throws(QueryError) -> QueryNode {
        if let q = last {
            do {
                return try value(for: q, t)
            } catch {
                // "hots 10.0.0.1": a misspelt keyword followed by its value reads better as such.
                if let next = peek, next.kind == .word { throw self.error(.unknownField, t, "unknown field '\(t.text)'") }
                throw error
            }
        }
        if IPAddress(t.text) != nil || t.text.contains("/") {
            return try value(for: Qualifiers(kind: .hostOrNet), t)
        }
        throw error(.unknownField, t, "unknown field '\(t.text)'")
    }
}
