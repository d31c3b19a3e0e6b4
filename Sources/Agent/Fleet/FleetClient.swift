import Fleet
import Foundation
import Logging
import Synchronization
import Transport
import SystemIO

/// The agent's side of the fleet (docs/fleet.md): registers with the server, long-polls its
/// desired configuration, checks it, has the capture thread apply it, keeps it in the store and
/// reports the version applied or the error. Blocking libcurl calls: it runs on a thread of its
/// own (``run(until:)``), never on the async pool.
public final class FleetClient: Sendable {
    public struct Identity: Sendable {
        public var agent: String
        public var version: String
        public var capabilities: [String]
        public var interfaces: [String]
        public var queryAPI: String?
        public init(agent: String, version: String, capabilities: [String], interfaces: [String], queryAPI: String?) {
            self.agent = agent; self.version = version; self.capabilities = capabilities; self.interfaces = interfaces; self.queryAPI = queryAPI
        }
    }

    let settings: FleetSettings
    let identity: Identity
    /// The agent's own file (and flags): every central version is applied onto it.
    let local: AgentConfig
    let store: String
    let reconfiguration: LiveReconfiguration
    let logger: Logger
    /// The version running now and its document.
    private let applied: Mutex<AppliedConfiguration?>
    private let stopping = Atomic<Bool>(false)
    private let token: Mutex<String?>
    /// The last version refused (not asked for again until a newer one exists).
    private let refusedVersion = Atomic<Int64>(0)

    public init(settings: FleetSettings, identity: Identity, local: AgentConfig, store: String, applied: AppliedConfiguration?,
                reconfiguration: LiveReconfiguration, logger: Logger) {
        self.settings = settings; self.identity = identity; self.local = local; self.store = store
        self.applied = Mutex(applied); self.reconfiguration = reconfiguration; self.logger = logger
        token = Mutex(settings.tokenFile.flatMap { try? BearerToken.read($0) })
    }

    /// The central configuration a starting agent runs: the one it applied last, over its own file.
    /// A stored version its file no longer accepts is dropped (logged): the file rules.
    public static func startingConfig(local: AgentConfig, store: String, logger: Logger) -> (AgentConfig, AppliedConfiguration?) {
        guard local.fleet.enabled, let applied = AppliedConfiguration.read(store: store) else { return (local, nil) }
        do {
            let config = try ConfigLoader.applyCentral(applied.yaml, onto: local)
            logger.notice("central configuration from the store", metadata: ["version": "\(applied.version)", "sources": "\(applied.sources.joined(separator: ","))"])
            return (config, applied)
        } catch {
            logger.error("the stored central configuration no longer applies; running the local file", metadata: ["version": "\(applied.version)", "error": "\(error)"])
            return (local, nil)
        }
    }

    public var appliedVersion: Int64 { applied.withLock { $0?.version ?? 0 } }

    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// Register, then poll and apply until ``stop()``; sleeps in short steps so a stop is quick
    /// (a poll in flight ends at its own timeout: `poll_interval` + 10 s at most).
    public func run() {
        var backoff = 1.0
        var registered = false
        var lastRegistration = Date.distantPast
        while !stopping.load(ordering: .relaxed) {
            // Registered again every 10 minutes (the server learns a new query API, a restart).
            if !registered || Date().timeIntervalSince(lastRegistration) > 600 {
                registered = register()
                if registered { lastRegistration = Date(); backoff = 1 } else { pause(&backoff); continue }
            }
            switch poll() {
            case .ok: backoff = 1
            case .retry: pause(&backoff)
            case .reregister: registered = false; pause(&backoff)
            }
        }
    }

    private func pause(_ backoff: inout Double) {
        let until = Date().addingTimeInterval(backoff)
        while Date() < until && !stopping.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.1) }
        backoff = min(backoff * 2, 30)
    }

    private var headers: [String] {
        var h = ["Accept: application/json"]
        if let t = token.withLock({ $0 }) { h.append("Authorization: Bearer \(t)") }
        return h
    }

    private func refreshToken() {
        guard let file = settings.tokenFile else { return }
        if let t = try? BearerToken.read(file) { token.withLock { $0 = t } }
    }

    private func post(_ path: String, _ body: some Encodable) -> Int {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        guard let data = try? e.encode(body), let server = settings.server else { return 0 }
        let r = HTTPPost.send(server + path, body: Array(data), headers: headers + ["Content-Type: application/json"], timeoutSeconds: 15,
                              caFile: settings.caFile)
        if r.status == 0 { logger.warning("fleet server unreachable", metadata: ["url": "\(server + path)", "error": "\(r.error ?? "-")"]) }
        if r.status == 401 { refreshToken() }
        return r.status
    }

    func register() -> Bool {
        let r = AgentRegistration(agent: identity.agent, version: identity.version, capabilities: identity.capabilities,
                                  interfaces: identity.interfaces, queryAPI: identity.queryAPI, hostname: ProcessInfo.processInfo.hostName,
                                  group: settings.group, tags: settings.tags, appliedVersion: appliedVersion)
        let status = post("/api/v1/fleet/register", r)
        if status == 200 { logger.notice("registered with the fleet server", metadata: ["server": "\(settings.server ?? "-")", "applied_version": "\(r.appliedVersion)"]) }
        else if status != 0 { logger.warning("fleet registration refused", metadata: ["status": "\(status)"]) }
        return status == 200
    }

    enum PollOutcome { case ok, retry, reregister }

    func poll() -> PollOutcome {
        guard let server = settings.server else { return .retry }
        var options = HTTPFetch.Options()
        options.headers = headers
        options.caFile = settings.caFile
        options.timeoutSeconds = settings.pollSeconds + 10
        options.maxBytes = 2 << 20
        let url = "\(server)/api/v1/fleet/desired?agent=\(identity.agent)&after=\(appliedVersion)&refused=\(refusedVersion.load(ordering: .relaxed))&wait=\(Int(settings.pollSeconds))"
        let r = HTTPFetch.get(url, options: options)
        switch r.status {
        case 204: return .ok
        case 200:
            guard let desired = try? JSONDecoder().decode(DesiredConfig.self, from: Data(r.body)) else {
                logger.warning("fleet server answered an unreadable configuration")
                return .retry
            }
            handle(desired)
            return .ok
        case 401: refreshToken(); return .retry
        case 0:
            logger.warning("fleet server unreachable", metadata: ["error": "\(r.error ?? "-")"])
            return .retry
        case 404, 403: return .reregister
        default:
            logger.warning("fleet poll refused", metadata: ["status": "\(r.status)"])
            return .retry
        }
    }

    /// Checks and applies one version; reports the outcome either way.
    func handle(_ desired: DesiredConfig) {
        let running = appliedVersion
        func refuse(_ e: ConfigError) {
            refusedVersion.store(desired.version, ordering: .relaxed)
            logger.error("central configuration refused; keeping the running one", metadata: [
                "version": "\(desired.version)", "running": "\(running)", "key": "\(e.option)", "error": "\(e.message)"])
            _ = post("/api/v1/fleet/status", ConfigStatusReport(agent: identity.agent, version: desired.version, outcome: .refused,
                                                                error: "\(e.option): \(e.message)", key: e.option, running: running))
        }
        guard desired.version > running else {
            return refuse(ConfigError(option: "(version)", "version \(desired.version) is older than the applied \(running) (was the server's store restored?)"))
        }
        let config: AgentConfig
        do { config = try ConfigLoader.applyCentral(desired.yaml, onto: local) } catch let e as ConfigError { return refuse(e) } catch {
            return refuse(ConfigError(option: "(document)", "\(error)"))
        }
        let restart: [String]
        switch reconfiguration.apply(config, timeout: 30) {
        case .failure(let e): return refuse(e)
        case .success(let keys): restart = keys
        }
        let record = AppliedConfiguration(version: desired.version, yaml: desired.yaml, sources: desired.sources, appliedAt: Date().timeIntervalSince1970)
        do throws(SystemError) { try record.write(store: store) } catch {
            logger.error("applied configuration not kept in the store; a restart runs the previous one", metadata: ["error": "\(error)"])
        }
        applied.withLock { $0 = record }
        logger.notice("central configuration applied", metadata: ["version": "\(desired.version)", "sources": "\(desired.sources.joined(separator: ","))",
                                                                  "pending_restart": "\(restart.joined(separator: ","))"])
        _ = post("/api/v1/fleet/status", ConfigStatusReport(agent: identity.agent, version: desired.version, outcome: .applied,
                                                            pendingRestart: restart, running: desired.version))
    }
}
