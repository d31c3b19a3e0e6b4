// libFuzzer target for AppProtocols. Built by run.sh together with the module's sources (one
// module, so no `import`), with -D APP_PROTOCOLS_STRICT_LOADS: a load that a parser forgot to
// bounds-check traps instead of quietly reading 0, and AddressSanitizer catches any real
// out-of-bounds read.
//
// Input layout: byte 0 selects the parser (modulo 4: DNS/UDP, DNS/TCP, HTTP, TLS); the remaining
// bytes are the payload.

// One name buffer for the whole run, as a real caller would keep one per thread. Slightly smaller
// than recommended on odd selector bytes so the "buffer too small" path is fuzzed too.
nonisolated(unsafe) private let nameBuffer = UnsafeMutableRawBufferPointer.allocate(
    byteCount: DNSMessageParser.nameBufferSize, alignment: 1)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    // The payload ends exactly where libFuzzer's heap copy ends, so ASan sees any overrun.
    let payload = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let selector = data[0]
    let name = selector & 0x80 != 0
        ? UnsafeMutableRawBufferPointer(rebasing: nameBuffer[0..<40]) : nameBuffer
    switch selector % 4 {
    case 0:
        var dns = DNSSummary()
        let status = DNSMessageParser.parse(payload, into: &dns, name: name)
        checkDNS(dns, status, name: name)
        // Every question, as the index reads them.
        var questions = 0
        DNSMessageParser.forEachQuestionName(in: payload, name: name) { length in
            precondition(length > 0 && length <= 253 && length <= name.count)
            questions += 1
        }
        precondition(questions <= DNSMessageParser.maxQuestions)
    case 1:
        var dns = DNSSummary()
        var rest = payload
        var steps = 0
        while !rest.isEmpty {
            let status = DNSMessageParser.parseTCP(rest, into: &dns, name: name)
            checkDNS(dns, status, name: name)
            precondition(dns.tcpFrameLength >= 2 || !status.hasHeader)
            guard status.hasHeader, dns.tcpFrameLength <= rest.count else { break }
            rest = UnsafeRawBufferPointer(rebasing: rest[dns.tcpFrameLength...])
            steps += 1
            precondition(steps <= size)
        }
    case 2:
        var http = HTTPMessageStart()
        let status = HTTPMessageParser.parse(payload, into: &http)
        checkHTTP(http, status, count: payload.count)
        _ = http.host.string(in: payload)
        // The index's lenient Host finder, in the form picked by the selector's top bits (the two
        // named forms and the two other combinations).
        let form = HTTPHostForm(keepsBrackets: selector & 0x40 != 0, numericPortOnly: selector & 0x20 != 0)
        checkRequestHost(HTTPRequestHost.find(in: payload, form: form), payload)
        // A request the strict parser read also starts a request for the lenient finder when its
        // method fits the lenient token (A-Z, -, _, 3-24 bytes): both then name the same Host line.
        if http.kind == .request, !http.host.isEmpty, form == .messageParser,
           let host = HTTPRequestHost.find(in: payload, form: .messageParser), lenientMethod(http.methodText, payload) {
            // Except where a `Host :` line (space before the colon) is a field for the strict
            // parser only (the index, like tshark, does not read it).
            precondition(host == http.hostName || http.hostName.isEmpty || hasSpacedHostField(payload),
                         "lenient and strict Host differ")
        }
        // The malformed-request recogniser the analytics use when the strict parser refuses.
        if let lenient = HTTPLenientRequest.match(payload) {
            precondition(inside(lenient.method, payload.count) && lenient.method.length <= HTTPMessageParser.maxMethodLength)
            precondition(lenient.headerLength >= 0 && lenient.headerLength <= payload.count)
        }
    default:
        var tls = TLSSummary()
        let status = TLSRecordScanner.scan(payload, into: &tls)
        checkTLS(tls, status, count: payload.count)
        _ = tls.serverName.string(in: payload)
    }
    return 0
}

/// Whether a line starts with `host` (any case) followed by spaces or tabs and a colon.
private func hasSpacedHostField(_ p: UnsafeRawBufferPointer) -> Bool {
    var lineStart = 0
    while lineStart + 5 < p.count {
        var matches = true
        for (k, c) in "host".utf8.enumerated() where p[lineStart + k] | 0x20 != c {
            matches = false
            break
        }
        if matches {
            var i = lineStart + 4
            var spaced = false
            while i < p.count, p[i] == 0x20 || p[i] == 0x09 { i += 1; spaced = true }
            if spaced && i < p.count && p[i] == UInt8(ascii: ":") { return true }
        }
        guard let lf = p[lineStart...].firstIndex(of: 0x0A) else { return false }
        lineStart = lf + 1
    }
    return false
}

private func inside(_ s: ByteSpan, _ count: Int) -> Bool {
    s.offset >= 0 && s.length >= 0 && s.offset + s.length <= count
}

private func checkDNS(_ d: DNSSummary, _ status: DNSParseStatus, name: UnsafeMutableRawBufferPointer) {
    precondition(inside(d.questionName, name.count))
    precondition(d.questionName.length <= 253)
    // A question is reported exactly when it was read: status ok, or a TCP message cut after it.
    if d.hasQuestion { precondition(status == .ok || status == .tcpMessageIncomplete) }
    if status == .ok && d.header.questionCount > 0 { precondition(d.hasQuestion) }
    precondition(!d.hasQuestion || d.header.questionCount > 0)
    if !status.hasHeader { precondition(d.header == DNSHeader()) }
    for i in 0..<d.questionName.length {
        let b = name.load(fromByteOffset: i, as: UInt8.self)
        precondition(b < 0x41 || b > 0x5A, "name not lowercased")
    }
}

private func checkHTTP(_ h: HTTPMessageStart, _ status: HTTPParseStatus, count: Int) {
    for s in [h.methodText, h.target, h.host, h.hostName] { precondition(inside(s, count)) }
    precondition(h.headerLength >= 0 && h.headerLength <= count)
    precondition((h.headerLength > 0) == (status == .complete))
    if status == .complete || status == .headersIncomplete { precondition(h.kind != .none) }
    if h.kind == .response { precondition(h.method == .none) }
    if h.kind == .response && (status == .complete || status == .headersIncomplete) {
        precondition(h.statusCode >= 100 && h.statusCode <= 999)
    }
    if h.kind == .request && (status == .complete || status == .headersIncomplete) {
        precondition(h.method != .none && !h.target.isEmpty && !h.methodText.isEmpty)
    }
    if status == .notHTTP || status == .empty { precondition(h.kind == .none) }
    precondition(h.contentLength >= -1)
}

private func checkRequestHost(_ host: ByteSpan?, _ payload: UnsafeRawBufferPointer) {
    guard let host else { return }
    // A non-empty span of one header line (after the request line and `Host:`), in the read prefix.
    precondition(!host.isEmpty && inside(host, payload.count) && host.offset >= 5)
    precondition(host.offset + host.length <= HTTPRequestHost.maxScanLength)
    for i in host.offset..<(host.offset + host.length) { precondition(payload[i] != 0x0A, "host spans lines") }
}

private func lenientMethod(_ method: ByteSpan, _ payload: UnsafeRawBufferPointer) -> Bool {
    guard method.length >= 3, method.length <= 24, payload.count >= HTTPRequestHost.minimumLength else { return false }
    for i in 0..<method.length {
        let b = payload[method.offset + i]
        guard (b >= 0x41 && b <= 0x5A) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") else { return false }
    }
    return true
}

private func checkTLS(_ t: TLSSummary, _ status: TLSParseStatus, count: Int) {
    precondition(inside(t.serverName, count))
    precondition(t.completeLength >= 0 && t.completeLength <= count)
    precondition(t.recordCount <= count / 5 + 1)
    if status == .notTLS || status == .empty || status == .sslv2Unsupported { precondition(t.recordCount == 0) }
    if status == .ok { precondition(t.completeLength == count) }
    if t.alert != .plaintext { precondition(t.alertLevel == 0 && t.alertDescription == 0) }
    if t.recordCount == 0 { precondition(!t.hasClientHello && !t.hasServerHello && t.alert == .none) }
}
