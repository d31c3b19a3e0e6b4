import Records

/// Bodies of the flow records: `conn` and `txn` (the envelope is ``RecordEncoder/begin(_:seq:ts:agentTs:)``'s).
extension RecordEncoder {
    /// Members naming a service: `service` (its id), `resp_h`, `resp_p`, `transport`, `app`.
    mutating func service(_ s: ServiceKey, application: ApplicationProtocol) {
        writer.key(RecordField.service.key)
        writer.value(serviceID: s)
        writer.field("resp_h", s.address)
        writer.field("resp_p", Int(s.port))
        writer.field("transport", s.transport.name)
        if let app = application.name { writer.field(RecordField.app.key, app) }
    }

    /// Body of a `conn` record.
    public mutating func conn(_ c: ConnSummary) {
        writer.key("uid")
        writer.value(hex: c.flowID)
        writer.time("start_ts", c.startNanos)
        writer.micros("duration_us", max(0, c.lastNanos - c.startNanos))
        writer.field(RecordField.origH.key, c.originator)
        writer.field("orig_p", Int(c.originatorPort))
        service(c.service, application: c.application)
        writer.field("ip_proto", Int(c.ipProtocol))
        if c.outerVLAN != 0 { writer.field("vlan", Int(c.outerVLAN)) }
        if c.innerVLAN != 0 { writer.field("inner_vlan", Int(c.innerVLAN)) }
        writer.tunnel(c.tunnel)
        writer.field("conn_state", c.connState)
        writer.field("history", c.history)
        writer.field("interim", c.isInterim)
        writer.field("end_reason", c.endReason)
        // The counters in two runs (one append each instead of one per member).
        writer.numbers { n in
            n.field("orig_pkts", c.originatorPackets)
            n.field("resp_pkts", c.responderPackets)
            n.field("orig_bytes", c.originatorBytes)
            n.field("resp_bytes", c.responderBytes)
            n.field("orig_ip_bytes", c.originatorIPBytes)
            n.field("resp_ip_bytes", c.responderIPBytes)
            n.micros("server_rtt_us", c.serverRTTNanos)
            n.micros("client_rtt_us", c.clientRTTNanos)
            n.micros("response_time_us", c.responseTimeNanos)
        }
        writer.numbers { n in
            n.field("orig_retrans", Int(c.originatorRetransmissions))
            n.field("resp_retrans", Int(c.responderRetransmissions))
            n.field("orig_ooo", Int(c.originatorOutOfOrder))
            n.field("resp_ooo", Int(c.responderOutOfOrder))
            n.field("orig_zero_win", Int(c.originatorZeroWindows))
            n.field("resp_zero_win", Int(c.responderZeroWindows))
            n.field("icmp_errors", Int(c.icmpErrors))
            n.field("fragments", Int(c.fragments))
        }
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
        writer.field(RecordField.origH.key, t.client)
        writer.field("orig_p", Int(t.clientPort))
        service(t.service, application: t.application)
        writer.time("request_ts", t.requestNanos)
        writer.micros("response_time_us", t.responseTimeNanos)
        writer.field("error", t.isError)
        writer.field("sample_rate", sampleRate)
        writer.tunnel(t.tunnel)
        switch t.application {
        case .dns:
            writer.field("dns_qname", t.dnsQueryName)
            writer.field("dns_qtype", Int(t.dnsQueryType))
            if t.dnsRcode >= 0 { writer.field("dns_rcode", Int(t.dnsRcode)) }
            writer.field("dns_answers", Int(t.dnsAnswerCount))
            writer.field("retries", Int(t.retries))
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
