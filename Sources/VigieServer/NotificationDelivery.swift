import Correlation
import Foundation
import Logging
import ServerHTTP
import ServiceLifecycle
import SystemIO
import Transport

/// Notifications, end to end: an evaluator thread turns the correlator's node states into
/// episodes and outbox entries (one transaction each tick), and a delivery thread sends the
/// outbox to the receivers, with exponential backoff, deleting an entry only once it went out.
///
/// Both are threads of their own, never the async pool: libcurl, getaddrinfo, sockets and the
/// store all block. A receiver that hangs costs the delivery thread its timeout and nothing
/// else: ingest never waits for it, and the evaluator keeps queueing (the outbox is bounded).
public final class NotificationDelivery: @unchecked Sendable {
    // @unchecked: `evaluator`, `wasLeader` are touched by the evaluator thread only; `stopping`
    // and the wake flag under `condition`.
    let correlator: Correlator
    let store: any NotificationStorage
    let book: NotificationRuleBook
    let allow: NotificationAllowList
    let metrics: NotificationMetrics
    let logger: Logger
    let clock: @Sendable () -> Double
    /// Bearer tokens of the webhooks that have a token file (read once, at start).
    let tokens: [String: String]
    let hostname: String
    private var evaluator = NotificationEvaluator()
    private var wasLeader = false
    /// When the API's rules were last re-read from the store (other instances may edit them).
    private var lastReload = 0.0
    private let condition = NSCondition()
    private var stopping = false
    private var wake = false
    private var running = 0

    var config: NotificationConfig { book.config }

    public init(correlator: Correlator, store: any NotificationStorage, book: NotificationRuleBook, allow: NotificationAllowList,
                metrics: NotificationMetrics, logger: Logger, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.correlator = correlator; self.store = store; self.book = book; self.allow = allow; self.metrics = metrics
        self.logger = logger; self.clock = clock
        var tokens: [String: String] = [:]
        for (name, r) in book.config.receivers {
            guard case .webhook(let w) = r.target, let path = w.bearerTokenFile else { continue }
            do { tokens[name] = try BearerToken.read(path) } catch {
                throw NotificationConfigError(.invalid, key: "receivers.\(name).webhook.bearer_token_file", "\(path): \(error)")
            }
        }
        self.tokens = tokens
        var buffer = [CChar](repeating: 0, count: 256)
        hostname = gethostname(&buffer, 255) == 0 ? String(cString: buffer) : "-"
    }

    /// Checks every receiver against the allow-list (at start: the server refuses to start).
    public static func check(_ config: NotificationConfig, allow: NotificationAllowList) throws(NotificationConfigError) {
        for (name, r) in config.receivers.sorted(by: { $0.key < $1.key }) {
            switch r.target {
            case .webhook(let w):
                if case .failure(let e) = allow.pins(url: w.url) {
                    throw NotificationConfigError(.invalid, key: "receivers.\(name).webhook.url", e.description)
                }
            case .syslog(let s):
                if case .failure(let e) = allow.addresses(of: s.host) {
                    throw NotificationConfigError(.invalid, key: "receivers.\(name).syslog.address", e.description)
                }
            }
        }
    }

    // MARK: Threads

    public func start() {
        condition.withLock { running = 2 }
        for (name, body) in [("vigie-notify-eval", evaluateLoop), ("vigie-notify-send", deliverLoop)] {
            let t = Thread { [self] in
                body()
                condition.withLock { running -= 1; condition.broadcast() }
            }
            t.name = name
            t.start()
        }
    }

    /// Stops both threads and waits for them (a delivery in progress finishes: at most its timeout).
    public func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while running > 0 { condition.wait() }
        }
    }

    /// Sleeps up to `seconds` or until woken; false once stopping.
    private func pause(_ seconds: Double) -> Bool {
        condition.withLock {
            let until = Date().addingTimeInterval(seconds)
            while !stopping && !wake && Date() < until { _ = condition.wait(until: until) }
            wake = false
            return !stopping
        }
    }

    private func wakeDelivery() { condition.withLock { wake = true; condition.broadcast() } }

    private func evaluateLoop() {
        repeat { evaluateOnce() } while pause(config.evaluateEvery)
    }

    private func deliverLoop() {
        repeat { deliverDue() } while pause(0.2)
    }

    // MARK: Evaluation

    /// One tick: read the node states, advance the episodes, store the changes and their
    /// notifications in one transaction, and only then adopt the new episodes: a failed write
    /// leaves the evaluator where it was, and the next tick tries again (nothing lost, nothing twice).
    func evaluateOnce() {
        guard store.claimNotifications() else { wasLeader = false; return }
        if !wasLeader {
            // Taking over (or starting): the stored episodes are the truth.
            do { evaluator = NotificationEvaluator(episodes: try store.loadNotificationEpisodes()) } catch {
                metrics.update { $0.evaluationFailures += 1 }
                logger.error("notifications: episodes not loaded", metadata: ["error": "\(error)"])
                return
            }
            wasLeader = true
        }
        let now = clock()
        if now - lastReload >= 5 || now < lastReload {
            book.reload()
            lastReload = now
        }
        var next = evaluator
        let step = next.evaluate(rules: book.rules(), nodes: correlator.alertView(), now: now)
        guard !step.isEmpty else { return }
        let entries = step.events.flatMap { self.entries(for: $0, now: now) }
        do {
            let dropped = try store.commitNotifications(step, entries: entries, maxOutbox: config.maxOutbox)
            evaluator = next
            metrics.update { $0.queued += UInt64(entries.count); $0.dropped += UInt64(max(0, dropped)) }
            if dropped > 0 { logger.error("notifications: outbox full, oldest entries deleted", metadata: ["dropped": "\(dropped)"]) }
            for e in step.events {
                logger.notice("notification queued", metadata: ["rule": "\(e.rule.id)", "node": "\(e.episode.node)", "kind": "\(e.kind.rawValue)",
                                                                "fingerprint": "\(e.episode.id)"])
            }
            if !entries.isEmpty { wakeDelivery() }
        } catch {
            metrics.update { $0.evaluationFailures += 1 }
            logger.error("notifications: not stored, retried next tick", metadata: ["error": "\(error)"])
        }
    }

    /// The outbox entries of one event: one per receiver, payload final.
    func entries(for event: NotificationEvent, now: Double) -> [OutboxEntry] {
        event.rule.receivers.compactMap { name -> OutboxEntry? in
            guard let r = config.receivers[name] else { return nil }
            let payload: [UInt8]
            switch r.target {
            case .webhook:
                payload = AlertmanagerPayload(event: event, receiver: name, externalURL: config.externalURL).json()
            case .syslog(let s):
                payload = Array(SyslogMessage.make(event: event, facility: s.facility, hostname: hostname, at: now).utf8)
            }
            return OutboxEntry(receiver: name, episode: event.episode.id, kind: event.kind, payload: payload, createdAt: now, nextAttempt: now)
        }
    }

    // MARK: Delivery

    /// Sends the oldest due entry of each receiver, repeatedly while they succeed.
    func deliverDue() {
        guard store.claimNotifications() else { return }
        var rounds = 0
        while rounds < 1000 {
            rounds += 1
            let due: [OutboxEntry]
            do { due = try store.dueNotifications(now: clock()) } catch {
                logger.error("notifications: outbox not readable", metadata: ["error": "\(error)"])
                return
            }
            if due.isEmpty { break }
            var progressed = false
            for entry in due {
                if condition.withLock({ stopping }) { return }
                progressed = send(entry) || progressed
            }
            if !progressed { break }
        }
        if let n = try? store.notificationOutboxCount() { metrics.update { $0.outboxSize = n } }
    }

    /// Sends one entry; true when it went out (and was removed).
    private func send(_ entry: OutboxEntry) -> Bool {
        guard let receiver = config.receivers[entry.receiver] else {
            // Its receiver was removed from the file: nobody left to tell.
            let n = (try? store.dropNotifications(receiver: entry.receiver)) ?? 0
            metrics.update { $0.dropped += UInt64(max(0, n)) }
            logger.warning("notifications: receiver gone, its entries dropped", metadata: ["receiver": "\(entry.receiver)", "entries": "\(n)"])
            return n > 0
        }
        let failure: String?
        switch receiver.target {
        case .webhook(let w): failure = postWebhook(w, receiver: entry.receiver, entry: entry)
        case .syslog(let s): failure = SyslogSender.send(entry.payload, to: s, allow: allow)
        }
        if let failure {
            let attempts = max(0, min(entry.attempts, 1_000_000)) + 1
            let delay = min(config.retryMax, config.retryInitial * pow(2, Double(min(attempts - 1, 30))))
            try? store.notificationFailed(id: entry.id, attempts: attempts, nextAttempt: clock() + delay, error: failure)
            metrics.update { $0.failedAttempts += 1 }
            logger.warning("notification not delivered, retried later", metadata: ["receiver": "\(entry.receiver)", "attempt": "\(attempts)",
                                                                                  "retry_in_s": "\(delay)", "error": "\(failure)"])
            return false
        }
        do { try store.notificationDelivered(id: entry.id) } catch {
            // Sent but still stored: it will be sent again (same fingerprint), never lost.
            logger.error("notifications: delivered entry not removed", metadata: ["error": "\(error)"])
            return false
        }
        metrics.update { $0.delivered += 1 }
        return true
    }

    /// POSTs the payload; nil when the receiver answered 2xx, else why not.
    private func postWebhook(_ w: NotificationReceiver.Webhook, receiver: String, entry: OutboxEntry) -> String? {
        let pins: [String]
        switch allow.pins(url: w.url) {
        case .failure(let e): return e.description
        case .success(let p): pins = p
        }
        var headers = ["Content-Type: application/json", "User-Agent: vigie-server", "Idempotency-Key: \(entry.episode)-\(entry.id)"]
        if let token = tokens[receiver] { headers.append("Authorization: Bearer \(token)") }
        let r = HTTPPost.send(w.url, body: entry.payload, headers: headers, timeoutSeconds: w.timeoutSeconds, resolve: pins)
        if (200..<300).contains(r.status) { return nil }
        return r.status == 0 ? (r.error ?? "no answer") : "HTTP \(r.status)"
    }
}

/// Runs ``NotificationDelivery``'s threads for the life of the server.
struct NotificationService: Service {
    let delivery: NotificationDelivery

    func run() async throws {
        delivery.start()
        try? await gracefulShutdown()
        await BlockingWork.run { delivery.stop() }
    }
}
