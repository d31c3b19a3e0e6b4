/// Precomputed bytes shared by all messages (host names, HTTP strings, protocol templates,
/// a text block), and the code that renders any byte range of a `Message` on demand.
final class Corpus {
    let names: NamePool
    private let paths: ByteTable
    private let agents: ByteTable
    private let contentTypes: ByteTable
    private let statusLines: ByteTable
    private let errorPages: ByteTable
    private let templates: ProtocolTemplates
    /// 64 KiB of HTML-like text, cycled for text bodies.
    private let text: UnsafeMutableRawPointer
    private static let textSize = 65_536
    /// Where prefixes are built (never more than a few KiB).
    private let scratch: UnsafeMutableRawPointer

    init(servers: Int) {
        names = NamePool(servers: servers)
        paths = ByteTable(strings: [
            "/", "/index.html", "/api/v1/users", "/api/v1/orders?page=2", "/api/v2/search?q=vigie&limit=50",
            "/static/js/app.3f9c2e.js", "/static/css/main.8a1b4d.css", "/images/hero-1920.jpg", "/favicon.ico",
            "/health", "/metrics", "/login", "/cart", "/products/4711", "/products/1024/reviews",
            "/downloads/vigie-1.4.2.tar.gz", "/video/segment-00042.ts", "/assets/fonts/inter.woff2",
            "/api/v1/events", "/robots.txt",
        ])
        agents = ByteTable(strings: [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "curl/8.5.0", "python-requests/2.32.3", "Go-http-client/1.1", "okhttp/4.12.0",
        ])
        contentTypes = ByteTable(strings: [
            "text/html; charset=utf-8", "text/css", "application/octet-stream", "text/plain; charset=utf-8",
        ])
        statusLines = ByteTable(strings: ["200 OK", "201 Created", "404 Not Found", "500 Internal Server Error"])
        func page(_ title: String) -> String {
            "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n"
                + "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
        }
        errorPages = ByteTable(strings: [page("404 Not Found"), page("500 Internal Server Error")])
        templates = ProtocolTemplates()
        text = UnsafeMutableRawPointer.allocate(byteCount: Self.textSize, alignment: 64)
        Self.fillText(text, Self.textSize)
        scratch = UnsafeMutableRawPointer.allocate(byteCount: 16_384, alignment: 64)
    }

    deinit {
        text.deallocate()
        scratch.deallocate()
    }

    var pathCount: Int { paths.count }
    /// Index of the path POST requests go to.
    static let postPath = 18
    var agentCount: Int { agents.count }

    // MARK: Sizing

    /// Computes `bodyLength` and `prefixLength`; call once when a message is created.
    func finalize(_ m: inout Message) {
        switch m.body {
        case .none: m.bodyLength = 0
        case .text, .opaque: m.bodyLength = m.bodyPlain
        case .tls: m.bodyLength = 0  // depends on the prefix length, set below
        case .ssh: m.bodyLength = Message.sshWireLength(m.bodyPlain)
        case .errorPage: m.bodyLength = UInt32(errorPages.length(m.variant == HTTPStatus.notFound ? 0 : 1))
        }
        // HTTP prefixes print the body length; TLS prefixes do not depend on it.
        m.prefixLength = UInt32(buildPrefix(m, into: scratch))
        if m.body == .tls { m.bodyLength = UInt32(TLSLayout(m).wireLength) }
    }

    // MARK: Rendering

    /// Writes bytes `offset..<offset+count` of message `m` to `dst`.
    func write(_ m: Message, offset: Int, count: Int, to dst: UnsafeMutableRawPointer) {
        var position = offset
        var out = dst
        var remaining = count
        let prefixLength = Int(m.prefixLength)
        if position < prefixLength {
            _ = buildPrefix(m, into: scratch)
            let n = min(prefixLength - position, remaining)
            out.copyMemory(from: scratch + position, byteCount: n)
            position += n
            out += n
            remaining -= n
        }
        if remaining > 0 {
            writeBody(m, offset: position - prefixLength, count: remaining, to: out)
        }
    }

    private func writeBody(_ m: Message, offset: Int, count: Int, to dst: UnsafeMutableRawPointer) {
        switch m.body {
        case .none:
            break
        case .opaque, .ssh:
            fillOpaque(dst, count: count, salt: m.salt, offset: offset)
        case .text:
            var position = (Int(truncatingIfNeeded: m.salt & 0xFFFF) + offset) % Self.textSize
            var out = 0
            while out < count {
                let n = min(count - out, Self.textSize - position)
                (dst + out).copyMemory(from: text + position, byteCount: n)
                out += n
                position = 0
            }
        case .errorPage:
            let page = m.variant == HTTPStatus.notFound ? 0 : 1
            dst.copyMemory(from: errorPages.pointer(page) + offset, byteCount: count)
        case .tls:
            writeTLSRecords(TLSLayout(m), salt: m.salt, offset: offset, count: count, to: dst)
        }
    }

    /// Renders TLS 1.3 application-data records laid out by `layout`.
    private func writeTLSRecords(_ layout: TLSLayout, salt: UInt64, offset: Int, count: Int,
                                 to dst: UnsafeMutableRawPointer) {
        var position = offset
        var out = 0
        while out < count {
            let (record, start) = layout.record(at: position)
            let within = position - start
            let cipher = layout.plain(record: record) + 17
            if within < 5 {
                let header: UInt64 = 0x17_0303 << 16 | UInt64(cipher)  // 5 bytes, big-endian
                let n = min(5 - within, count - out)
                for k in 0..<n {
                    let shift = UInt64(8 * (4 - within - k))
                    dst.storeBytes(of: UInt8(truncatingIfNeeded: header >> shift), toByteOffset: out + k, as: UInt8.self)
                }
                out += n
                position += n
            } else {
                let n = min(5 + cipher - within, count - out)
                fillOpaque(dst + out, count: n, salt: salt, offset: position)
                out += n
                position += n
            }
        }
    }

    /// Builds the prefix of `m` at `p` and returns its length.
    private func buildPrefix(_ m: Message, into p: UnsafeMutableRawPointer) -> Int {
        var c = ByteCursor(p)
        switch m.prefix {
        case .none: break
        case .httpRequest: httpRequest(m, &c)
        case .httpResponse: httpResponse(m, &c)
        case .tlsClientHello: TLSHandshake.clientHello(m, host: names.dotted, &c)
        case .tlsServerHello: TLSHandshake.serverHello(m, &c)
        case .tlsClientFinished: TLSHandshake.clientFinished(m, &c)
        case .pgSSLRequest: c.u32(8); c.u32(80_877_103)
        case .pgSSLAccept: c.u8(UInt8(ascii: "S"))
        case .mysqlGreeting: templates.mysqlGreeting(m, &c)
        case .mysqlSSLRequest: c.put(templates.mysqlSSLRequest)
        case .sshClientBanner: c.put("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n")
        case .sshServerBanner: c.put("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n")
        case .sshClientKexInit: templates.kexInit(client: true, m, &c)
        case .sshServerKexInit: templates.kexInit(client: false, m, &c)
        case .sshECDHInit: templates.ecdhInit(m, &c)
        case .sshECDHReplyNewKeys: templates.ecdhReply(m, &c)
        case .sshNewKeys: c.put(templates.sshNewKeys)
        }
        return c.offset
    }

    private func httpRequest(_ m: Message, _ c: inout ByteCursor) {
        let post = m.variant == 1
        if post { c.put("POST ") } else { c.put("GET ") }
        c.put(paths.pointer(Int(m.path)), paths.length(Int(m.path)))
        c.put(" HTTP/1.1\r\nHost: ")
        c.put(names.dotted.pointer(Int(m.name)), names.dotted.length(Int(m.name)))
        if m.port != 80 && m.port != 0 {
            c.u8(UInt8(ascii: ":"))
            c.decimal(UInt64(m.port))
        }
        c.put("\r\nUser-Agent: ")
        c.put(agents.pointer(Int(m.agent)), agents.length(Int(m.agent)))
        c.put("\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n")
        if post {
            c.put("Content-Type: application/octet-stream\r\nContent-Length: ")
            c.decimal(UInt64(m.bodyLength))
            c.put("\r\n")
        }
        c.put("Connection: keep-alive\r\n\r\n")
    }

    private func httpResponse(_ m: Message, _ c: inout ByteCursor) {
        c.put("HTTP/1.1 ")
        c.put(statusLines.pointer(Int(m.variant)), statusLines.length(Int(m.variant)))
        c.put("\r\nServer: nginx/1.24.0\r\nDate: ")
        CivilTime.writeHTTPDate(m.second, to: &c)
        c.put("\r\nContent-Type: ")
        let type = m.body == .errorPage ? Int(HTTPContentType.html) : Int(m.contentType)
        c.put(contentTypes.pointer(type), contentTypes.length(type))
        c.put("\r\nContent-Length: ")
        c.decimal(UInt64(m.bodyLength))
        c.put("\r\nConnection: keep-alive\r\n")
        if m.variant == HTTPStatus.ok {
            c.put("Cache-Control: max-age=3600\r\nETag: \"")
            c.hex(mix64(m.salt), count: 8)
            c.put("\"\r\nVary: Accept-Encoding\r\n")
        }
        c.put("\r\n")
    }

    /// Fills `p` with HTML-like lines built from a fixed word list (same for every seed).
    private static func fillText(_ p: UnsafeMutableRawPointer, _ size: Int) {
        let words = ["network", "capture", "packet", "flow", "vigie", "storage", "index", "segment", "latency",
                     "throughput", "server", "client", "session", "request", "response", "lorem", "ipsum",
                     "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod",
                     "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua"]
        var x: UInt64 = 0x5EED
        var out: [UInt8] = []
        out.reserveCapacity(size + 512)
        var line = 0
        while out.count < size {
            var sentence = ""
            for _ in 0..<(8 + Int(mix64(x) % 12)) {
                x &+= goldenGamma
                sentence += words[Int(mix64(x) % UInt64(words.count))] + " "
            }
            x &+= goldenGamma
            let s = "<div class=\"card\" id=\"c\(line)\"><p>\(sentence)</p></div>\n"
            out.append(contentsOf: s.utf8)
            line += 1
        }
        out.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: size) }
    }
}
