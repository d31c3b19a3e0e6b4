import Records

/// Record lines shaped exactly like docs/records.md's examples (the agent's encoder output), for the
/// parser's tests (RecordsTests) and the server's (CorrelationTests). Fuzz/RecordParser seeds from them.
public enum Lines {
    public static func serviceState(agent: String = "edge-paris-01", epoch: Int64 = 1763877000000, seq: Int64, service: String = "10.0.0.5:443/tcp",
                             state: String, previous: String = "UP", reason: String = "transition", ts: String = "2023-11-14T22:14:40.000000000Z") -> String {
        let (h, p, t) = parts(service)
        return #"{"schema_version":1,"kind":"service_state","agent_id":"\#(agent)","epoch":\#(epoch),"seq":\#(seq),"ts":"\#(ts)","agent_ts":"2025-11-23T05:50:00.000015000Z","service":"\#(service)","resp_h":"\#(h)","resp_p":\#(p),"transport":"\#(t)","app":"http","state":"\#(state)","previous_state":"\#(previous)","reason":"\#(reason)","window_start":"2023-11-14T22:14:30.000000000Z","window_end":"2023-11-14T22:14:40.000000000Z","since":"2023-11-14T22:14:40.000000000Z","attempts":5,"established":5,"answered":0,"refused":0,"unanswered":0,"resets":0,"transactions":5,"transaction_errors":0,"error_rate":0,"rtt_p50_us":1000,"rtt_p95_us":1000,"rtt_p99_us":1000,"response_p50_us":2000000,"response_p95_us":2000000,"response_p99_us":2000000}"#
    }

    public static func edge(agent: String = "edge-paris-01", epoch: Int64 = 1763877000000, seq: Int64, client: String = "10.0.1.1", service: String = "10.0.0.5:443/tcp") -> String {
        let (h, p, t) = parts(service)
        return #"{"schema_version":1,"kind":"edge","agent_id":"\#(agent)","epoch":\#(epoch),"seq":\#(seq),"ts":"2023-11-14T22:15:00.000000000Z","agent_ts":"2025-11-23T05:50:00.000024000Z","orig_h":"\#(client)","service":"\#(service)","resp_h":"\#(h)","resp_p":\#(p),"transport":"\#(t)","app":"http","interval_start":"2023-11-14T22:14:00.000000000Z","interval_end":"2023-11-14T22:15:00.000000000Z","attempts":30,"established":20,"refused":5,"unanswered":5,"resets":0,"transactions":20,"transaction_errors":0,"bytes_to_server":0,"bytes_to_client":0,"retransmissions":0,"rtt":{"layout":"log2x4-us","count":20,"sum_us":20000,"min_us":1000,"max_us":1000,"buckets":[[40,20]]},"response_time":{"layout":"log2x4-us","count":20,"sum_us":20050000,"min_us":5000,"max_us":2000000,"buckets":[[49,10],[84,10]]}}"#
    }

    public static func conn(agent: String = "edge-paris-01", epoch: Int64 = 1763877000000, seq: Int64) -> String {
        #"{"schema_version":1,"kind":"conn","agent_id":"\#(agent)","epoch":\#(epoch),"seq":\#(seq),"ts":"2023-11-14T22:14:00.000000000Z","agent_ts":"2025-11-23T05:50:00.000001000Z","uid":"0000000000000001","start_ts":"2023-11-14T22:13:58.000000000Z","duration_us":2000000,"orig_h":"10.0.1.1","orig_p":40000,"service":"10.0.0.5:443/tcp","resp_h":"10.0.0.5","resp_p":443,"transport":"tcp","app":"tls","ip_proto":6,"vlan":10,"conn_state":"SF","history":"ShADadFf","interim":false,"end_reason":"fin","orig_pkts":10,"resp_pkts":8,"orig_bytes":500,"resp_bytes":9000,"orig_ip_bytes":900,"resp_ip_bytes":9400,"server_rtt_us":1234,"client_rtt_us":200,"orig_retrans":0,"resp_retrans":0,"orig_ooo":0,"resp_ooo":0,"orig_zero_win":0,"resp_zero_win":0,"icmp_errors":0,"fragments":0,"tls_sni":"example.com","first_segment":3,"last_segment":4}"#
    }

    public static func serviceSeen(agent: String = "edge-paris-01", epoch: Int64 = 1763877000000, seq: Int64) -> String {
        #"{"schema_version":1,"kind":"service_seen","agent_id":"\#(agent)","epoch":\#(epoch),"seq":\#(seq),"ts":"2023-11-14T22:14:00.000001000Z","agent_ts":"2025-11-23T05:50:00.000002000Z","service":"10.0.0.5:443/tcp","resp_h":"10.0.0.5","resp_p":443,"transport":"tcp","app":"http","first_seen":"2023-11-14T22:14:00.000001000Z","reannounce":false}"#
    }

    public static func agentHealth(agent: String = "edge-paris-01", epoch: Int64 = 1763877000000, seq: Int64) -> String {
        #"{"schema_version":1,"kind":"agent_health","agent_id":"\#(agent)","epoch":\#(epoch),"seq":\#(seq),"ts":"2023-11-14T22:15:00.000000000Z","agent_ts":"2025-11-23T05:50:00.000025000Z","packets_received":1000,"packets_dropped":2,"packets_dropped_agent":0,"flows_active":12,"flow_evictions":0,"anomalies":0,"store_bytes":0,"records":{"conn":{"emitted":13,"dropped":0},"txn":{"emitted":4,"dropped":0},"edge":{"emitted":1,"dropped":0},"service_state":{"emitted":5,"dropped":0},"service_seen":{"emitted":1,"dropped":0},"agent_health":{"emitted":0,"dropped":0}},"txn_sampled_out":9,"services_tracked":1,"services_overflow":0,"edges_overflow":0}"#
    }

    public static func parts(_ service: String) -> (String, Int, String) {
        let id = ServiceID(service)!
        return (id.address, id.port, id.transport)
    }

    public static func batch(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\n") + "\n").utf8) }
}
