/// Encodes records as one-line JSON objects (see `docs/records.md` for every field).
///
/// Every record starts with the envelope: `schema_version`, `kind`, `agent_id`, `epoch`, `seq`,
/// `ts` (packet time, RFC 3339 UTC with ns) and `agent_ts` (agent wall-clock time, same format).
/// Body members follow, flat. Durations are integer microseconds (`_us`); members whose value was
/// not measured (or is empty) are omitted rather than written as null.
public struct RecordEncoder {
    /// Envelope values fixed for the process.
    public let agentID: String
    public let epoch: UInt64
    /// The writer holding the record being encoded (reused between records).
    public var writer = JSONWriter(capacity: 2048)

    public init(agentID: String, epoch: UInt64) {
        self.agentID = agentID
        self.epoch = epoch
    }

    /// Starts a record: resets the buffer and writes the envelope. Body members follow; finish
    /// with ``end()``.
    public mutating func begin(_ kind: RecordKind, seq: UInt64, ts: Int64, agentTs: Int64) {
        writer.reset()
        writer.beginObject()
        writer.field("schema_version", RecordKind.schemaVersion)
        writer.field("kind", kind.rawValue)
        writer.field("agent_id", agentID)
        writer.field("epoch", epoch)
        writer.field("seq", seq)
        writer.time("ts", ts)
        writer.time("agent_ts", agentTs)
    }

    /// Closes the record and its line; the bytes are in ``writer``.
    public mutating func end() {
        writer.endObject()
        writer.newline()
    }

    /// Members naming a service: `service` (its id), `resp_h`, `resp_p`, `transport`, `app`.
    mutating func service(_ s: ServiceKey, application: ApplicationProtocol) {
        writer.key("service")
        writer.value(serviceID: s)
        writer.field("resp_h", s.address)
        writer.field("resp_p", Int(s.port))
        writer.field("transport", s.transport.name)
        if let app = application.name { writer.field("app", app) }
    }

    /// Body of a `conn` record.
    public mutating func conn(_ c: ConnSummary) {
        writer.key("uid")
        writer.value(hex: c.flowID)
        writer.time("start_ts", c.startNanos)
        writer.micros("duration_us", max(0, c.lastNanos - c.startNanos))
        writer.field("orig_h", c.originator)
        writer.field("orig_p", Int(c.originatorPort))
        service(c.service, application: c.application)
        writer.field("ip_proto", Int(c.ipProtocol))
        if c.outerVLAN != 0 { writer.field("vlan", Int(c.outerVLAN)) }
        if c.innerVLAN != 0 { writer.field("inner_vlan", Int(c.innerVLAN)) }
        writer.field("conn_state", c.connState)
        writer.field("history", c.history)
        writer.field("interim", c.isInterim)
        writer.field("end_reason", c.endReason)
        writer.field("orig_pkts", c.originatorPackets)
        writer.field("resp_pkts", c.responderPackets)
        writer.field("orig_bytes", c.originatorBytes)
        writer.field("resp_bytes", c.responderBytes)
        writer.field("orig_ip_bytes", c.originatorIPBytes)
        writer.field("resp_ip_bytes", c.responderIPBytes)
        writer.micros("server_rtt_us", c.serverRTTNanos)
        writer.micros("client_rtt_us", c.clientRTTNanos)
        writer.micros("response_time_us", c.responseTimeNanos)
        writer.field("orig_retrans", Int(c.originatorRetransmissions))
        writer.field("resp_retrans", Int(c.responderRetransmissions))
        writer.field("orig_ooo", Int(c.originatorOutOfOrder))
        writer.field("resp_ooo", Int(c.responderOutOfOrder))
        writer.field("orig_zero_win", Int(c.originatorZeroWindows))
        writer.field("resp_zero_win", Int(c.responderZeroWindows))
        writer.field("icmp_errors", Int(c.icmpErrors))
        writer.field("fragments", Int(c.fragments))
        writer.optional("dns_qname", c.dnsQueryName)
        writer.optional("http_host", c.httpHost)
        writer.optional("tls_sni", c.tlsServerName)
        if c.firstSegment >= 0 { writer.field("first_segment", c.firstSegment) }
        if c.lastSegment >= 0 { writer.field("last_segment", c.lastSegment) }
    }

    /// Body of a `txn` record; `sampleRate` is 1 for records kept unconditionally (errors).
    public mutating func txn(_ t: TransactionSummary, sampleRate: Int) {
        writer.key("uid")
        writer.value(hex: t.flowID)
        writer.field("orig_h", t.client)
        writer.field("orig_p", Int(t.clientPort))
        service(t.service, application: t.application)
        writer.time("request_ts", t.requestNanos)
        writer.micros("response_time_us", t.responseTimeNanos)
        writer.field("error", t.isError)
        writer.field("sample_rate", sampleRate)
        switch t.application {
        case .dns:
            writer.field("dns_qname", t.dnsQueryName)
            writer.field("dns_qtype", Int(t.dnsQueryType))
            if t.dnsRcode >= 0 { writer.field("dns_rcode", Int(t.dnsRcode)) }
            writer.field("dns_answers", Int(t.dnsAnswerCount))
        case .http:
            writer.field("http_method", t.httpMethod)
            writer.field("http_host", t.httpHost)
            writer.field("http_path", t.httpPath)
            if t.httpStatus != 0 { writer.field("http_status", Int(t.httpStatus)) }
        case .tls:
            writer.field("tls_sni", t.tlsServerName)
            if t.tlsVersion != 0 { writer.field("tls_version", Int(t.tlsVersion)) }
            if t.tlsAlert >= 0 { writer.field("tls_alert", Int(t.tlsAlert)) }
        case .none:
            break
        }
    }
}
