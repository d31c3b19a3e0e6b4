import Correlation
import Foundation
import Logging
import ServerHTTP
import ServiceLifecycle
import SystemIO
import Transport

/// Notifications, end to end: an evaluator thread turns the correlator's node states into
/// episodes and outbox entries (one transaction each tick), and one delivery thread per receiver
/// sends that receiver's entries in order, with exponential backoff, deleting an entry only once
/// it went out.
///
/// All are threads of their own, never the async pool: libcurl, getaddrinfo, sockets and the
/// store all block. A receiver that hangs costs its own thread its timeout and nothing else:
/// ingest never waits for it, the other receivers neither, and the evaluator keeps queueing (the
/// outbox is bounded).
public final class NotificationDelivery: @unchecked Sendable {
    // @unchecked: `evaluator`, `wasLeader`, `lastReload` are touched by the evaluator thread only;
    // `stopping`, `wakes` and `running` under `condition`.
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
    /// Bumped when entries were queued: the delivery threads look at once instead of at their next poll.
    private var wakes: UInt64 = 0
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
        var loops: [(String, @Sendable () -> Void)] = [("vigie-notify-eval", { [self] in evaluateLoop() })]
        for receiver in config.receivers.keys.sorted() {
            loops.append(("vigie-notify-send", { [self] in deliverLoop(receiver) }))
        }
        condition.withLock { running = loops.count }
        for (name, body) in loops {
            let t = Thread { [self] in
                body()
                condition.withLock { running -= 1; condition.broadcast() }
            }
            t.name = name
            t.start()
        }
    }

    /// Stops the threads and waits for them (a delivery in progress finishes: at most its timeout).
    public func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while running > 0 { condition.wait() }
        }
    }

    /// Sleeps up to `seconds`, or (given the wake count the caller last saw) until entries are
    /// queued. Returns the wake count now, nil once stopping.
    private func pause(_ seconds: Double, seen: UInt64? = nil) -> UInt64? {
        condition.withLock {
            let until = Date().addingTimeInterval(seconds)
            while !stopping && Date() < until && (seen == nil || seen == wakes) { _ = condition.wait(until: until) }
            return stopping ? nil : wakes
        }
    }

    private func wakeDelivery() { condition.withLock { wakes &+= 1; condition.broadcast() } }

    private func evaluateLoop() {
        repeat { evaluateOnce() } while pause(config.evaluateEvery) != nil
    }

    /// One receiver's thread: polls its head entry (a retry comes due without a wake-up).
    private func deliverLoop(_ receiver: String) {
        var seen = condition.withLock { wakes }
        while true {
            deliverDue(receiver)
            guard let now = pause(0.25, seen: seen) else { return }
            seen = now
        }
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
            dropOrphans()
        }
        let now = clock()
        if now - lastReload >= 5 || now < lastReload {
            book.reload()
            lastReload = now
        }
        var next = evaluator
        let step = next.evaluate(rules: book.rules(), nodes: correlator.alertView(), now: now)
        // The gauge, once per tick (the delivery threads only delete).
        defer { if let n = try? store.notificationOutboxCount() { metrics.update { $0.outboxSize = n } } }
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

    /// Entries of receivers no longer in the file: nobody left to tell; dropped (and counted).
    private func dropOrphans() {
        for name in (try? store.notificationReceivers()) ?? [] where config.receivers[name] == nil {
            let n = (try? store.dropNotifications(receiver: name)) ?? 0
            metrics.update { $0.dropped += UInt64(max(0, n)) }
            logger.warning("notifications: receiver gone, its entries dropped", metadata: ["receiver": "\(name)", "entries": "\(n)"])
        }
    }

    /// Sends `receiver`'s entries oldest first while they are due and go out.
    func deliverDue(_ receiver: String) {
        guard store.claimNotifications() else { return }
        while !condition.withLock({ stopping }) {
            let entry: OutboxEntry?
            do { entry = try store.dueNotification(receiver: receiver, now: clock()) } catch {
                logger.error("notifications: outbox not readable", metadata: ["receiver": "\(receiver)", "error": "\(error)"])
                return
            }
            guard let entry, send(entry) else { return }
        }
    }

    /// Sends one entry; true when it went out (and was removed).
    private func send(_ entry: OutboxEntry) -> Bool {
        guard let receiver = config.receivers[entry.receiver] else { return false }
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
