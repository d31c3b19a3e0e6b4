import AppProtocols

/// DNS question names, TLS SNIs and HTTP hosts for the index, read by the AppProtocols parsers (one
/// set of rules for the index and the analytics: DNS name decompression, the TLS ClientHello, HTTP
/// line/field reading and port stripping) into the builder's ``NameScratch``, lowercased (by
/// ``NameScratch/append(_:)``). Allocation-free: the parsers' results are plain values on the stack
/// and spans of the payload.
enum ApplicationNames {
    /// UDP/TCP ports 53 (DNS), 5353 (mDNS) and 5355 (LLMNR), which share the message format and
    /// which tshark reports in the same `dns.qry.name` field.
    @inline(__always)
    static func isDNSPort(_ port: UInt16) -> Bool { port == 53 || port == 5353 || port == 5355 }

    /// Calls `emit` with each question name of the DNS message filling `message` (see
    /// `DNSMessageParser.forEachQuestionName`).
    static func forEachDNSQuestion(in message: UnsafeRawBufferPointer, scratch: inout NameScratch,
                                   _ emit: (inout NameScratch) -> Void) {
        let buffer = UnsafeMutableRawBufferPointer(start: scratch.bytes, count: NameScratch.capacity)
        DNSMessageParser.forEachQuestionName(in: message, name: buffer) { length in
            scratch.count = length
            emit(&scratch)
        }
    }

    /// The server_name of a TLS ClientHello in the records starting `payload`, without trailing dots.
    static func tlsServerName(in payload: UnsafeRawBufferPointer, into out: inout NameScratch) -> Bool {
        var tls = TLSSummary()
        TLSRecordScanner.scan(payload, into: &tls)
        guard tls.hasClientHello, copy(tls.serverName, of: payload, into: &out) else { return false }
        while out.count > 0 && out.bytes[out.count - 1] == UInt8(ascii: ".") { out.count -= 1 }
        return out.count > 0
    }

    /// The Host of an HTTP request starting `payload`, read leniently and in tshark's form
    /// (`HTTPRequestHost`: any method token, brackets of an IPv6 host kept, only a numeric port
    /// removed), so that `http.host` agrees with tshark's; the analytics' `HTTPMessageParser` is
    /// stricter on purpose (see `HTTPRequestHost`).
    static func httpHost(in payload: UnsafeRawBufferPointer, into out: inout NameScratch) -> Bool {
        guard let host = HTTPRequestHost.find(in: payload, form: .tshark) else { return false }
        return copy(host, of: payload, into: &out)
    }

    /// Copies `span` of `payload` (lowercased); false when it is empty, outside `payload`, or longer
    /// than the scratch.
    private static func copy(_ span: ByteSpan, of payload: UnsafeRawBufferPointer, into out: inout NameScratch) -> Bool {
        guard span.length > 0, span.offset >= 0, span.offset <= payload.count - span.length else { return false }
        out.reset()
        for k in span.offset..<(span.offset + span.length) { guard out.append(payload[k]) else { return false } }
        return true
    }
}
