import AppProtocols

/// One DNS message as seen on the wire, reduced to what tells an exact duplicate copy of a packet
/// (the same datagram captured twice, e.g. on a mirror port) from a retransmission: a hash of its
/// bytes, their length, and the packet time.
struct DNSMessageCopy {
    var hash: UInt64 = 0
    /// -1 when no message was recorded yet.
    var length = -1
    var nanos: Int64 = 0

    init() {}

    init(_ bytes: UnsafeRawBufferPointer, nanos: Int64) {
        hash = FNV1a.hash(bytes)
        length = bytes.count
        self.nanos = nanos
    }

    /// Whether `later` is a second copy of this message: the same bytes within
    /// ``DNSFlowState/duplicateWindowNanos``.
    func isCopy(_ later: DNSMessageCopy) -> Bool {
        length >= 0 && later.length == length && later.hash == hash
            && later.nanos &- nanos <= DNSFlowState.duplicateWindowNanos
    }
}

/// A DNS query (one id and question) and its exchange so far. It stays after being answered so
/// that later responses with its id (a server answering each retransmission) are outcomes too.
struct PendingDNSQuery {
    var id: UInt16
    /// ``FNV1a`` of the question (lowercased name, type, class): a query with the same id and
    /// another question is another query. Compared instead of the name so a retransmission costs
    /// no string.
    var questionHash: UInt64
    var name: String
    var type: UInt16
    /// First transmission not answered yet: the request time of an unanswered outcome; -1 while
    /// the latest transmission is answered.
    var unansweredSinceNanos: Int64
    /// Latest transmission: an answer's latency is measured from it.
    var lastSentNanos: Int64
    /// Retransmissions since the query's last outcome, reported on its next one (so summing
    /// `retries` over the outcomes counts each retransmission once).
    var retries: UInt16 = 0
    var lastQuery: DNSMessageCopy
    var lastResponse = DNSMessageCopy()

    /// Whether a transmission is waiting for a response (reported unanswered if none comes).
    var isAwaitingResponse: Bool { unansweredSinceNanos >= 0 }

    /// Sent again (not a copy): one more retry, the latency now runs from this transmission.
    mutating func retransmitted(_ copy: DNSMessageCopy) {
        retries = retries == .max ? .max : retries + 1
        lastSentNanos = copy.nanos
        lastQuery = copy
        if !isAwaitingResponse { unansweredSinceNanos = copy.nanos }
    }

    /// Answered by `response` (after its outcome was reported): retries start again from 0.
    mutating func answered(_ response: DNSMessageCopy) {
        lastResponse = response
        retries = 0
        unansweredSinceNanos = -1
    }
}

/// What the DNS analysis keeps for one flow.
///
/// Rules (docs/flows.md, "Application analysis"): every response is an outcome, paired with the
/// query of its id (and question); a query sent again with the same id and question within
/// ``retransmissionWindowNanos`` of its previous transmission is a retry of it; an exact copy of
/// a message within ``duplicateWindowNanos`` counts for nothing.
struct DNSFlowState {
    /// At most ``ApplicationFlowState/maxPending``, oldest first; answered queries are the first
    /// to make room, an unanswered one evicted is reported unanswered.
    var queries: [PendingDNSQuery] = []
    var firstName = ""

    /// Two copies of one message closer than this are one packet seen twice (a mirror or a SPAN
    /// port copying both ingress and egress), not a retransmission: stub resolvers retry after
    /// hundreds of ms at the earliest (glibc 5 s, Windows 1 s), while mirror copies follow each
    /// other within microseconds.
    static let duplicateWindowNanos: Int64 = 10_000_000

    /// A query with the same id and question later than this after the previous transmission is
    /// a new lookup reusing the id (clients with a fixed id and port), not a retry; long enough
    /// for glibc's 5 s timeout.
    static let retransmissionWindowNanos: Int64 = 10_000_000_000

    /// The query a response answers: the one of its id and `question` (hash); for a response
    /// without a readable question (`question` nil: some error responses, mDNS answers), the
    /// latest query sent with its id. A response naming another question answers none.
    func queryAnswered(id: UInt16, question: UInt64?) -> Int? {
        var latest: Int?
        for i in queries.indices where queries[i].id == id {
            guard let question else {
                if latest.map({ queries[i].lastSentNanos >= queries[$0].lastSentNanos }) ?? true { latest = i }
                continue
            }
            if queries[i].questionHash == question { return i }
        }
        return latest
    }
}

/// 64-bit FNV-1a: cheap, allocation-free fingerprints of DNS messages and questions.
enum FNV1a {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    static func hash(_ bytes: UnsafeRawBufferPointer, from start: UInt64 = offsetBasis) -> UInt64 {
        var h = start
        for byte in bytes { h = (h ^ UInt64(byte)) &* prime }
        return h
    }

    static func hash(_ value: UInt16, from start: UInt64) -> UInt64 {
        let high = (start ^ UInt64(value >> 8)) &* prime
        return (high ^ UInt64(value & 0xFF)) &* prime
    }
}
