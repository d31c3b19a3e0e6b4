/// Walks the TLS records in one TCP payload (which must start at a record boundary) and reads the
/// handshake facts a flow monitor needs: SNI and versions from the hellos, alerts,
/// ChangeCipherSpec, application data.
///
/// Zero-copy and allocation-free. TCP is not reassembled: a record or hello cut by the payload end
/// is read as far as it goes and reported as ``TLSParseStatus/incomplete``.
///
/// ```swift
/// var tls = TLSSummary()                               // once, reused
/// let status = TLSRecordScanner.scan(payload, into: &tls)
/// if tls.hasClientHello, !tls.serverName.isEmpty {
///     let sni = tls.serverName.string(in: payload)     // off the hot path
/// }
/// if tls.alert == .plaintext, tls.alertLevel == 2 { /* fatal alert: handshake failed */ }
/// // next record in the stream starts at payload offset tls.completeLength
/// ```
/// Handshake records after a ChangeCipherSpec in the same payload are encrypted (TLS 1.2
/// Finished) and are not parsed. A caller that already saw ChangeCipherSpec in earlier segments
/// should ignore ``TLSSummary/hasClientHello``/``TLSSummary/hasServerHello`` (or not call).
public enum TLSRecordScanner {
    /// Scans the records in `payload`. Never traps, never reads outside it.
    @discardableResult
    public static func scan(_ payload: UnsafeRawBufferPointer, into out: inout TLSSummary) -> TLSParseStatus {
        out.reset()
        let p = PayloadBytes(payload)
        guard p.count > 0 else { return .empty }
        if isSSLv2ClientHello(p) { return .sslv2Unsupported }
        var offset = 0
        var status = TLSParseStatus.ok
        while offset < p.count {
            guard p.has(offset, TLSRecordHeader.size) else {
                // A header cut by the payload end: judge the bytes that are present.
                let type = p.u8(offset)
                let plausible = type >= 20 && type <= 24 && (!p.has(offset + 1, 1) || p.u8(offset + 1) == 3)
                if !plausible { return out.recordCount == 0 ? .notTLS : .badRecord }
                return .incomplete
            }
            var header = TLSRecordHeader()
            header.contentType = p.u8(offset)
            header.version = p.u16(offset + 1)
            header.length = Int(p.u16(offset + 3))
            guard header.isPlausible else { return out.recordCount == 0 ? .notTLS : .badRecord }
            if out.recordCount == 0 { out.firstRecord = header }
            out.recordCount += 1
            let body = offset + TLSRecordHeader.size
            let available = min(header.length, p.count - body)
            let cut = available < header.length
            let recordStatus = readRecord(p, header: header, body: body, available: available, into: &out)
            if recordStatus != .ok && status == .ok { status = recordStatus }
            if cut { return status == .ok ? .incomplete : status }
            offset = body + header.length
            out.completeLength = offset
        }
        return status
    }

    private static func readRecord(_ p: PayloadBytes, header: TLSRecordHeader, body: Int, available: Int,
                                   into out: inout TLSSummary) -> TLSParseStatus {
        switch header.contentType {
        case TLSRecordHeader.changeCipherSpec:
            out.sawChangeCipherSpec = true
        case TLSRecordHeader.applicationData:
            out.sawApplicationData = true
        case TLSRecordHeader.alert:
            guard out.alert == .none else { break }
            if header.length != 2 {
                out.alert = .encrypted
            } else if available == 2 {
                out.alert = .plaintext
                out.alertLevel = p.u8(body)
                out.alertDescription = p.u8(body + 1)
            }
        case TLSRecordHeader.handshake where !out.sawChangeCipherSpec:
            return readHandshakes(p, start: body, recordEnd: body + header.length,
                                  availableEnd: body + available, into: &out)
        default:
            break
        }
        return .ok
    }

    /// The handshake messages of one record; only ClientHello (1) and ServerHello (2) are read.
    private static func readHandshakes(_ p: PayloadBytes, start: Int, recordEnd: Int, availableEnd: Int,
                                       into out: inout TLSSummary) -> TLSParseStatus {
        var offset = start
        while offset < recordEnd {
            // A handshake header split over two records is legal but not reassembled here.
            guard offset + 4 <= availableEnd, offset + 4 <= recordEnd else { return .incomplete }
            let type = p.u8(offset)
            let length = p.u24(offset + 1)
            let bodyStart = offset + 4
            let declaredEnd = bodyStart + length
            // Past the record: fragmented over records (legal, rare) or lying; read what we have.
            let limit = min(declaredEnd, availableEnd, recordEnd)
            var cursor = TLSCursor(position: bodyStart, declaredEnd: declaredEnd, availableEnd: limit)
            let status: TLSParseStatus
            switch type {
            case 1: status = TLSHelloParser.readClientHello(p, &cursor, into: &out)
            case 2: status = TLSHelloParser.readServerHello(p, &cursor, into: &out)
            default: status = limit < declaredEnd ? .incomplete : .ok
            }
            if status != .ok { return status }
            if declaredEnd > recordEnd { return .incomplete }
            offset = declaredEnd
        }
        return .ok
    }

    /// SSLv2 record header with the high bit set (2-byte length), message type 1 (CLIENT-HELLO) and
    /// version 2.0 or 3.x.
    private static func isSSLv2ClientHello(_ p: PayloadBytes) -> Bool {
        guard p.has(0, 5), p.u8(0) & 0x80 != 0, p.u8(2) == 1 else { return false }
        let major = p.u8(3)
        return major == 3 || (major == 0 && p.u8(4) == 2)
    }
}
