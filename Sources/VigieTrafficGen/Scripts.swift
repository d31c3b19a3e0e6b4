/// The traffic mix: what each new session is, and the script of messages each application
/// protocol exchanges. All sizes and delays are drawn from the seeded PRNG.
extension Engine {
    // MARK: New sessions

    /// Draws a new session starting at `t`.
    mutating func initialize(_ s: inout Session, at t: UInt64) {
        s.salt = rng.next()
        s.start = t
        s.nextTime = t
        s.client = UInt32(rng.below(config.clients))
        s.isV6 = rng.chance(config.ipv6Share)
        s.vlan = rng.chance(config.vlanShare) ? UInt16(10 * (1 + rng.below(3))) : 0
        s.ttlClient = network.clientTTL(s.client)
        s.ipIDClient = UInt16(truncatingIfNeeded: rng.next())
        s.ipIDServer = UInt16(truncatingIfNeeded: rng.next())
        s.flowLabel = UInt32(truncatingIfNeeded: rng.next()) & 0xF_FFFF

        if rng.chance(config.dnsShare) {
            s.kind = .dns
            s.phase = .dnsQuery
            s.server = UInt32(rng.below(2))
            s.clientPort = UInt16(1024 + rng.below(64_512))
            s.dnsID = UInt16(truncatingIfNeeded: rng.next())
            s.dnsAAAA = rng.chance(s.isV6 ? 0.6 : 0.25)
            let names = corpus.names
            let r = rng.unit()
            if r < config.nxdomainShare {
                s.dnsOutcome = .nxdomain
                s.name = UInt32(names.count + rng.below(names.missingCount))
            } else {
                s.dnsOutcome = r < config.nxdomainShare + config.dnsUnansweredShare ? .unanswered : .answer
                s.name = UInt32(rng.below(names.count))
            }
            // Resolver latency: cache hit or recursion.
            s.rtt = rng.chance(0.7) ? rng.micros(80, 1_000) : rng.micros(3_000, 80_000)
            return
        }

        s.phase = .syn
        s.clientPort = UInt16(32_768 + rng.below(28_232))
        s.isnClient = UInt32(truncatingIfNeeded: rng.next())
        s.isnServer = UInt32(truncatingIfNeeded: rng.next())
        s.seqClient = s.isnClient &+ 1
        s.seqServer = s.isnServer &+ 1
        s.tsBaseClient = UInt32(truncatingIfNeeded: rng.next())
        s.tsBaseServer = UInt32(truncatingIfNeeded: rng.next())
        s.windowClient = rng.chance(0.7) ? 502 : 2_048
        s.windowServer = rng.chance(0.8) ? 509 : 1_024
        s.cwndMax = UInt16(24 + rng.below(41))
        let name = rng.below(corpus.names.count)
        s.name = UInt32(name)
        s.server = UInt32(name % config.servers)
        s.gapServer = rng.micros(3, 30)
        s.gapClient = rng.micros(10, 200)
        s.ackLagServer = rng.micros(8, 40)

        let r = rng.unit()
        if r < 0.55 {
            s.app = .https
            s.serverPort = 443
            s.loops = UInt16(rng.geometric(mean: 4, cap: 60))
        } else if r < 0.77 {
            s.app = .http
            s.serverPort = rng.chance(0.2) ? 8080 : 80
            s.loops = UInt16(rng.geometric(mean: 3, cap: 40))
        } else if r < 0.87 {
            s.app = .postgres
            s.serverPort = 5432
            s.loops = UInt16(rng.int(3...60))
        } else if r < 0.95 {
            s.app = .mysql
            s.serverPort = 3306
            s.loops = UInt16(rng.int(3...60))
        } else {
            s.app = .ssh
            s.serverPort = 22
            s.mode = rng.chance(0.06) ? 1 : 0
            s.loops = s.mode == 1 ? UInt16(rng.int(1...3)) : UInt16(rng.int(20...300))
        }
        switch s.app {
        case .http, .https: s.rtt = rng.micros(2_000, 50_000)
        case .postgres, .mysql: s.rtt = rng.micros(100, 1_500)
        case .ssh: s.rtt = rng.micros(1_000, 40_000)
        }

        let attempt = rng.unit()
        if attempt < config.refusedShare {
            s.kind = .refused
            s.serverPort = closedPort()
        } else if attempt < config.refusedShare + config.unansweredShare {
            s.kind = .unanswered
            s.serverPort = closedPort()
            s.loops = UInt16(1 + rng.below(2))  // SYN retransmissions
        } else {
            s.kind = .tcp
            if let o = config.outage, s.server == o.server, t >= o.from, t < o.to {
                s.kind = .refused
                stats.outageRefused += 1
            }
        }
    }

    private mutating func closedPort() -> UInt16 {
        switch rng.below(6) {
        case 0: 8443
        case 1: 9200
        case 2: 6379
        case 3: 25
        case 4: 3389
        default: 8081
        }
    }

    // MARK: Scripts

    /// Plans the next step of an accepted connection.
    mutating func nextPlan(_ s: inout Session, at now: UInt64) -> Plan {
        defer { s.step += 1 }
        let step = Int(s.step)
        switch s.app {
        case .http: return httpPlan(&s, step, now)
        case .https: return httpsPlan(&s, step, now)
        case .postgres, .mysql: return databasePlan(&s, step, now)
        case .ssh: return sshPlan(&s, step, now)
        }
    }

    private mutating func httpPlan(_ s: inout Session, _ step: Int, _ now: UInt64) -> Plan {
        if step % 2 == 0 {
            if step / 2 >= Int(s.loops) { return closePlan(s) }
            let post = rng.chance(0.1)
            var m = message(s, .httpRequest, post ? .opaque : .none, plain: post ? rng.size(200, 64_000) : 0,
                            variant: post ? 1 : 0, now: now, finalize: false)
            m.path = UInt16(post ? Corpus.postPath : rng.below(corpus.pathCount))
            m.agent = UInt8(Int(s.client) % corpus.agentCount)
            corpus.finalize(&m)
            return step == 0 ? react(false, rng.micros(5, 80), m) : think(false, clientThink(), m)
        }
        let post = s.current.message.variant == 1
        let r = rng.unit()
        let status = post
            ? (r < 0.85 ? HTTPStatus.created : r < 0.95 ? HTTPStatus.ok : HTTPStatus.serverError)
            : (r < 0.90 ? HTTPStatus.ok : r < 0.97 ? HTTPStatus.notFound : HTTPStatus.serverError)
        var m: Message
        switch status {
        case HTTPStatus.notFound, HTTPStatus.serverError:
            m = message(s, .httpResponse, .errorPage, variant: status, now: now, finalize: false)
        case HTTPStatus.created:
            m = message(s, .httpResponse, .text, plain: rng.size(20, 400), variant: status, now: now, finalize: false)
            m.contentType = HTTPContentType.plain
        default:
            let size = webResponseSize()
            m = message(s, .httpResponse, size >= 65_536 ? .opaque : .text, plain: size, variant: status, now: now,
                        finalize: false)
            m.contentType = switch size >= 65_536 ? 4 : rng.below(4) {
            case 0, 1: HTTPContentType.html
            case 2: HTTPContentType.css
            case 3: HTTPContentType.plain
            default: HTTPContentType.binary
            }
        }
        corpus.finalize(&m)
        return react(true, serverThink(), m)
    }

    private mutating func httpsPlan(_ s: inout Session, _ step: Int, _ now: UInt64) -> Plan {
        switch step {
        case 0:
            return react(false, rng.micros(5, 80), message(s, .tlsClientHello, variant: ALPNChoice.web, now: now))
        case 1:
            return react(true, rng.micros(300, 3_000), message(s, .tlsServerHello, .tls, plain: rng.size(2_500, 5_000), now: now))
        default:
            let k = step - 2
            if k % 2 == 1 {
                return react(true, serverThink(), message(s, .none, .tls, plain: webResponseSize(), now: now))
            }
            if k / 2 >= Int(s.loops) { return closePlan(s) }
            if k == 0 {
                return react(false, rng.micros(50, 400), message(s, .tlsClientFinished, .tls, plain: rng.size(80, 600), now: now))
            }
            return think(false, clientThink(), message(s, .none, .tls, plain: rng.size(60, 600), now: now))
        }
    }

    private mutating func databasePlan(_ s: inout Session, _ step: Int, _ now: UInt64) -> Plan {
        let postgres = s.app == .postgres
        switch step {
        case 0:
            return postgres
                ? react(false, rng.micros(5, 80), message(s, .pgSSLRequest, now: now))
                : react(true, rng.micros(50, 300), message(s, .mysqlGreeting, now: now))
        case 1:
            return postgres
                ? react(true, rng.micros(20, 200), message(s, .pgSSLAccept, now: now))
                : react(false, rng.micros(20, 200), message(s, .mysqlSSLRequest, now: now))
        case 2:
            let alpn = postgres ? ALPNChoice.postgres : ALPNChoice.none
            return react(false, rng.micros(10, 200), message(s, .tlsClientHello, variant: alpn, now: now))
        case 3:
            return react(true, rng.micros(300, 2_000), message(s, .tlsServerHello, .tls, plain: rng.size(1_500, 3_000), now: now))
        case 4:
            let login = postgres ? rng.size(80, 140) : rng.size(150, 300)
            return react(false, rng.micros(50, 300), message(s, .tlsClientFinished, .tls, plain: login, now: now))
        case 5:
            let greeting = postgres ? rng.size(300, 700) : rng.size(20, 80)
            return react(true, rng.micros(200, 3_000), message(s, .none, .tls, plain: greeting, now: now))
        default:
            let k = step - 6
            if k % 2 == 1 {
                return react(true, rng.micros(50, 5_000), message(s, .none, .tls, plain: databaseResultSize(), now: now))
            }
            if k / 2 >= Int(s.loops) { return closePlan(s) }
            let pause = rng.chance(0.7) ? rng.micros(50, 5_000) : rng.micros(10_000, 1_000_000)
            return think(false, pause, message(s, .none, .tls, plain: rng.size(60, 500), now: now))
        }
    }

    private mutating func sshPlan(_ s: inout Session, _ step: Int, _ now: UInt64) -> Plan {
        switch step {
        case 0: return react(true, rng.micros(100, 1_000), message(s, .sshServerBanner, now: now))
        case 1: return react(false, rng.micros(10, 100), message(s, .sshClientBanner, now: now))
        case 2: return react(false, rng.micros(10, 60), message(s, .sshClientKexInit, now: now))
        case 3: return react(true, rng.micros(50, 300), message(s, .sshServerKexInit, now: now))
        case 4: return react(false, rng.micros(50, 300), message(s, .sshECDHInit, now: now))
        case 5: return react(true, rng.micros(500, 3_000), message(s, .sshECDHReplyNewKeys, now: now))
        case 6: return react(false, rng.micros(100, 500), message(s, .sshNewKeys, .ssh, plain: 22, now: now))
        case 7: return react(true, rng.micros(50, 300), encrypted(s, 22, now))
        case 8: return react(false, rng.micros(100, 500), encrypted(s, rng.size(400, 700), now))
        case 9: return react(true, rng.micros(1_000, 20_000), encrypted(s, rng.size(28, 64), now))
        case 10: return react(false, rng.micros(50, 300), encrypted(s, rng.size(100, 200), now))
        case 11: return react(true, rng.micros(1_000, 10_000), encrypted(s, rng.size(200, 1_500), now))
        default:
            let k = step - 12
            let bulk = s.mode == 1
            if k % 2 == 1 {
                if bulk { return react(true, rng.micros(200, 5_000), encrypted(s, rng.size(100_000, 3_000_000), now)) }
                let output = rng.chance(0.1) ? rng.size(100, 4_000) : 10
                return react(true, rng.micros(20, 200), encrypted(s, output, now))
            }
            if k / 2 >= Int(s.loops) { return closePlan(s) }
            return bulk
                ? think(false, rng.micros(1_000, 500_000), encrypted(s, rng.size(60, 200), now))
                : think(false, rng.micros(30_000, 600_000), encrypted(s, 10, now))
        }
    }

    /// Teardown: mostly FIN handshakes initiated by the client, some by the server (idle
    /// timeout), some aborts with RST.
    private mutating func closePlan(_ s: Session) -> Plan {
        let r = rng.unit()
        let (fin, serverFin): (Double, Double) = switch s.app {
        case .https: (0.75, 0.85)
        case .http: (0.80, 0.95)
        case .postgres, .mysql: (0.95, 0.95)
        case .ssh: (0.97, 0.97)
        }
        var plan = Plan()
        if r < fin {
            plan.action = .closeByClient
            plan.delay = rng.micros(200, 200_000)
        } else if r < serverFin {
            plan.action = .closeByServer
            plan.delay = rng.micros(5_000, 2_000_000)
        } else {
            plan.action = s.app == .postgres || s.app == .mysql || s.app == .ssh ? .resetByServer : .resetByClient
            plan.delay = rng.micros(200, 100_000)
        }
        return plan
    }

    // MARK: Helpers

    private mutating func message(_ s: Session, _ prefix: PrefixKind, _ body: BodyKind = .none, plain: UInt32 = 0,
                                  variant: UInt8 = 0, now: UInt64, finalize: Bool = true) -> Message {
        var m = Message()
        m.prefix = prefix
        m.body = body
        m.bodyPlain = plain
        m.variant = variant
        m.name = s.app == .ssh ? s.server : s.name
        m.port = s.serverPort
        m.segment = UInt16(s.mss)
        m.second = UInt32(truncatingIfNeeded: (config.startEpochNanos &+ now) / Self.second)
        m.salt = mix64(s.salt &+ UInt64(s.step) &* goldenGamma)
        m.sessionSalt = s.salt
        if finalize { corpus.finalize(&m) }
        return m
    }

    /// An encrypted SSH message carrying `payload` bytes. When a message spans several
    /// segments and the last would be shorter than 32 bytes, the payload is rounded up:
    /// Wireshark 4.0 flags an SSH segment shorter than length field plus tag as malformed.
    private mutating func encrypted(_ s: Session, _ payload: UInt32, _ now: UInt64) -> Message {
        var payload = max(payload, 10)
        let mss = UInt32(s.mss)
        func short() -> Bool {
            let wire = Message.sshWireLength(payload)
            return wire > mss && wire % mss != 0 && wire % mss < 32
        }
        while short() { payload += 8 }
        return message(s, .none, .ssh, plain: payload, now: now)
    }

    private func react(_ fromServer: Bool, _ delay: UInt64, _ m: Message) -> Plan {
        Plan(action: .send, fromServer: fromServer, reacts: true, delay: delay, message: m)
    }

    /// A step started after a pause (user think time).
    private func think(_ fromServer: Bool, _ delay: UInt64, _ m: Message) -> Plan {
        Plan(action: .send, fromServer: fromServer, reacts: false, delay: delay, message: m)
    }

    /// Time a client waits before its next request on a kept-alive connection.
    private mutating func clientThink() -> UInt64 {
        rng.chance(0.65) ? rng.micros(200, 20_000) : rng.micros(100_000, 5_000_000)
    }

    /// Time a web server takes to produce a response.
    private mutating func serverThink() -> UInt64 { rng.micros(100, 30_000) }

    /// Web response body size: mostly small objects, a heavy tail of downloads.
    private mutating func webResponseSize() -> UInt32 {
        let r = rng.unit()
        if r < 0.85 { return rng.size(150, 6_000) }
        if r < 0.978 { return rng.size(6_000, 64_000) }
        if r < 0.998 { return rng.size(64_000, 512_000) }
        return rng.size(512_000, 4_000_000)
    }

    /// Database result size: mostly a few rows, sometimes a report.
    private mutating func databaseResultSize() -> UInt32 {
        let r = rng.unit()
        if r < 0.85 { return rng.size(60, 1_500) }
        if r < 0.99 { return rng.size(1_500, 16_000) }
        return rng.size(16_000, 256_000)
    }
}
