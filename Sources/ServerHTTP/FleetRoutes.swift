import Correlation
import Fleet
import Foundation
import HTTPListener
import Hummingbird

extension ServerAPI {
    /// The fleet (docs/fleet.md): the agents' own calls (register, fetch the desired configuration,
    /// report the version applied), authenticated by their agent tokens; the operators' registry,
    /// groups, versioned configuration documents with history and diff, and the audit.
    enum FleetRoutes {
        /// The agents' own calls: the route authenticates them (``OperatorAccess`` lets them through).
        static let agentPaths: Set<String> = ["/api/v1/fleet/register", "/api/v1/fleet/desired", "/api/v1/fleet/status"]
        /// Longest long poll (`wait`).
        static let maxWaitSeconds = 60.0

        static let routes: [APIRoute] = [
            APIRoute(.post, "api/v1/fleet/register") { request, _, api -> Response in
                var request = request
                guard let fleet = api.config.fleet else { return disabled }
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: 64 << 10) else { return tooLarge(64 << 10) }
                guard let r = try? JSONDecoder().decode(AgentRegistration.self, from: Data(bytes)) else {
                    return Problem.badRequest("body: an agent registration (docs/fleet.md): agent, version, capabilities, interfaces, hostname, tags, applied_version, query_api?, group?")
                }
                let authenticated: Bool
                switch agentCaller(request, claims: r.agent, api) { case .failure(let denied): return denied.response; case .success(let a): authenticated = a }
                do { return json(try fleet.register(r, authenticated: authenticated, now: Date().timeIntervalSince1970)) }
                catch { return problem(error) }
            },
            APIRoute(.get, "api/v1/fleet/desired") { request, _, api -> Response in
                guard let fleet = api.config.fleet else { return disabled }
                guard let agent = parameter(request, "agent"), FleetNames.valid(agent) else { return Problem.badRequest("'agent' is required: \(FleetNames.rule)") }
                if case .failure(let denied) = agentCaller(request, claims: agent, api) { return denied.response }
                let after = Int64(parameter(request, "after") ?? "0") ?? -1
                guard after >= 0 else { return Problem.badRequest("'after' must be a version (a whole number >= 0)") }
                let refused = Int64(parameter(request, "refused") ?? "0") ?? -1
                guard refused >= 0 else { return Problem.badRequest("'refused' must be a version (a whole number >= 0)") }
                let wait = Double(parameter(request, "wait") ?? "0") ?? -1
                guard wait >= 0, wait <= maxWaitSeconds else { return Problem.badRequest("'wait' must be 0...\(Int(maxWaitSeconds)) seconds") }
                // Long poll: answer as soon as the desired version differs from the one the agent
                // runs (`after`) and from the one it last refused, else 204 after `wait`. An older
                // version is answered too (a store restored from a backup): the agent refuses it
                // and says so, rather than waiting silently.
                let deadline = Date().addingTimeInterval(wait)
                while true {
                    let desired = fleet.desired(agent)
                    if desired.version != after && desired.version != refused && !(desired.version == 0 && after == 0) { return json(desired) }
                    if Date() >= deadline { return Response(status: .noContent) }
                    try await Task.sleep(for: .milliseconds(200))
                }
            },
            APIRoute(.post, "api/v1/fleet/status") { request, _, api -> Response in
                var request = request
                guard let fleet = api.config.fleet else { return disabled }
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: 64 << 10) else { return tooLarge(64 << 10) }
                guard let s = try? JSONDecoder().decode(ConfigStatusReport.self, from: Data(bytes)) else {
                    return Problem.badRequest("body: {agent, version, outcome: applied|refused, error?, key?, pending_restart, running}")
                }
                if case .failure(let denied) = agentCaller(request, claims: s.agent, api) { return denied.response }
                if s.outcome == .refused {
                    api.logger.warning("agent refused a configuration", metadata: ["agent": "\(s.agent)", "version": "\(s.version)", "error": "\(s.error ?? "-")"])
                }
                do { try fleet.report(s, now: Date().timeIntervalSince1970); return Response(status: .noContent) } catch { return problem(error) }
            },
            APIRoute(.get, "api/v1/fleet/agents") { _, _, api -> Response in
                guard let fleet = api.config.fleet else { return disabled }
                return json(fleet.agentList().map { FleetAgentView($0, desired: fleet.desired($0.agent).version) })
            },
            APIRoute(.get, "api/v1/fleet/agents/{id}") { _, context, api -> Response in
                guard let fleet = api.config.fleet else { return disabled }
                let id = context.parameters.get("id") ?? ""
                guard let a = fleet.agent(id) else { return Problem.notFound("no agent '\(id)' in the fleet") }
                return json(FleetAgentView(a, desired: fleet.desired(id).version))
            },
            APIRoute(.put, "api/v1/fleet/agents/{id}/group") { request, context, api -> Response in
                var request = request
                guard let fleet = api.config.fleet else { return disabled }
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: 4096) else { return tooLarge(4096) }
                guard let q = try? decode(GroupAssignment.self, bytes) else { return Problem.badRequest("body: {\"group\": NAME | null}") }
                do {
                    let a = try fleet.assign(agent: context.parameters.get("id") ?? "", group: q.group, who: caller(request, api), now: Date().timeIntervalSince1970)
                    return json(FleetAgentView(a, desired: fleet.desired(a.agent).version))
                } catch { return problem(error) }
            },
            APIRoute(.get, "api/v1/fleet/agents/{id}/effective-config") { _, context, api -> Response in
                guard let fleet = api.config.fleet else { return disabled }
                let id = context.parameters.get("id") ?? ""
                guard FleetNames.valid(id) else { return Problem.badRequest("id: \(FleetNames.rule)") }
                return json(fleet.desired(id))
            },
            APIRoute(.get, "api/v1/fleet/groups") { _, _, api -> Response in
                guard let fleet = api.config.fleet else { return disabled }
                return json(fleet.groupList().map { GroupView($0, members: fleet.members(ofGroup: $0.name) ?? []) })
            },
            APIRoute(.get, "api/v1/fleet/groups/{name}") { _, context, api -> Response in
                guard let fleet = api.config.fleet else { return disabled }
                let name = context.parameters.get("name") ?? ""
                guard let g = fleet.group(name) else { return Problem.notFound("no group '\(name)'") }
                return json(GroupView(g, members: fleet.members(ofGroup: name) ?? []))
            },
            APIRoute(.put, "api/v1/fleet/groups/{name}") { request, context, api -> Response in
                var request = request
                guard let fleet = api.config.fleet else { return disabled }
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: 64 << 10) else { return tooLarge(64 << 10) }
                guard let q = try? decode(GroupRequest.self, bytes) else { return Problem.badRequest("body: {\"site\": TEXT?, \"tags\": [TEXT]?, \"description\": TEXT?}") }
                let g = AgentGroup(name: context.parameters.get("name") ?? "", site: q.site, tags: q.tags ?? [], description: q.description)
                do { try fleet.putGroup(g, who: caller(request, api), now: Date().timeIntervalSince1970); return json(GroupView(g, members: fleet.members(ofGroup: g.name) ?? [])) }
                catch { return problem(error) }
            },
            APIRoute(.delete, "api/v1/fleet/groups/{name}") { request, context, api -> Response in
                guard let fleet = api.config.fleet else { return disabled }
                do { try fleet.deleteGroup(context.parameters.get("name") ?? "", who: caller(request, api), now: Date().timeIntervalSince1970); return Response(status: .noContent) }
                catch { return problem(error) }
            },
            APIRoute(.get, "api/v1/fleet/audit") { request, _, api -> Response in
                guard let fleet = api.config.fleet else { return disabled }
                let limit = Int(parameter(request, "limit") ?? "100") ?? 0
                guard (1...10_000).contains(limit) else { return Problem.badRequest("'limit' must be 1...10000") }
                return json(fleet.auditEntries(limit: limit))
            },
        ] + ConfigDocumentRoutes.routes(kind: "groups", scope: ConfigScope.group) + ConfigDocumentRoutes.routes(kind: "agents", scope: ConfigScope.agent)

        static var disabled: Response { Problem.make(404, "the fleet registry is off on this server").response() }

        static func problem(_ e: any Error) -> Response {
            guard let e = e as? FleetError else { return Problem.make(500, "\(e)").response() }
            return Problem.make(e.status, e.message).response()
        }

        static func caller(_ request: Request, _ api: APIServices) -> String {
            api.config.access.callerName(authorization: request.headers[.authorization])
        }

        /// An agent's own call: with agent tokens required, the token must be `agent`'s (true:
        /// authenticated); without, anyone may speak for any agent (development on loopback).
        static func agentCaller(_ request: Request, claims agent: String, _ api: APIServices) -> Result<Bool, RefusedParameter> {
            guard api.config.agentTokensRequired else { return .success(false) }
            guard let token = TokenStore.bearer(request.headers[.authorization]), let owner = api.config.agent(forToken: token) else {
                return .failure(RefusedParameter(response: Problem.make(401, "fleet calls need 'Authorization: Bearer TOKEN' with the agent's own token")
                    .response(headers: [.wwwAuthenticate: "Bearer realm=\"vigie\""])))
            }
            guard owner == agent else {
                return .failure(RefusedParameter(response: Problem.make(403, "this token belongs to agent '\(owner)', not '\(agent)'").response()))
            }
            return .success(true)
        }
    }

    /// `GET/PUT/DELETE /api/v1/fleet/{groups|agents}/{name}/config`, its history and diff.
    enum ConfigDocumentRoutes {
        /// YAML (JSON is YAML too).
        static let yamlTypes: Set<String> = ["application/yaml", "application/x-yaml", "text/yaml", "text/plain", "application/json"]

        /// The scope a path names, or the 400 naming the rule.
        static func named(_ context: BasicRequestContext, _ p: String, _ scope: (String) -> ConfigScope) -> Result<ConfigScope, RefusedParameter> {
            let name = context.parameters.get(p) ?? ""
            guard FleetNames.valid(name) else { return .failure(RefusedParameter(response: Problem.badRequest("\(p): \(FleetNames.rule)"))) }
            return .success(scope(name))
        }

        static func routes(kind: String, scope: @escaping @Sendable (String) -> ConfigScope) -> [APIRoute] {
            // The same parameter name as the resource's other routes (the router requires it).
            let p = kind == "agents" ? "id" : "name"
            let base = "api/v1/fleet/\(kind)/{\(p)}/config"
            return [
                APIRoute(.get, base) { request, context, api -> Response in
                    guard let fleet = api.config.fleet else { return FleetRoutes.disabled }
                    let s: ConfigScope
                    switch named(context, p, scope) { case .failure(let r): return r.response; case .success(let v): s = v }
                    let revision = parameter(request, "version").flatMap { Int64($0) }
                    if parameter(request, "version") != nil && revision == nil { return Problem.badRequest("'version' must be a whole number") }
                    guard let doc = fleet.document(s, revision: revision), revision != nil || doc.yaml != nil else {
                        return Problem.notFound("\(s) has no configuration\(revision.map { " version \($0)" } ?? "")")
                    }
                    return json(DocumentView(doc))
                },
                APIRoute(.put, base) { request, context, api -> Response in
                    var request = request
                    guard let fleet = api.config.fleet else { return FleetRoutes.disabled }
                    if let refused = unsupportedMediaType(request, yamlTypes) { return refused }
                    guard let bytes = try await body(&request, limit: 1 << 20) else { return tooLarge(1 << 20) }
                    guard let yaml = String(validating: bytes, as: UTF8.self) else { return Problem.badRequest("the document is not UTF-8") }
                    let s: ConfigScope
                    switch named(context, p, scope) { case .failure(let r): return r.response; case .success(let v): s = v }
                    do {
                        let doc = try fleet.putDocument(s, yaml: yaml, who: FleetRoutes.caller(request, api),
                                                        comment: parameter(request, "comment"), now: Date().timeIntervalSince1970)
                        api.logger.notice("central configuration changed", metadata: ["scope": "\(doc.scope)", "version": "\(doc.revision)", "by": "\(doc.author)"])
                        return json(DocumentView(doc), status: .created)
                    } catch { return FleetRoutes.problem(error) }
                },
                APIRoute(.delete, base) { request, context, api -> Response in
                    guard let fleet = api.config.fleet else { return FleetRoutes.disabled }
                    let s: ConfigScope
                    switch named(context, p, scope) { case .failure(let r): return r.response; case .success(let v): s = v }
                    do {
                        let doc = try fleet.putDocument(s, yaml: nil, who: FleetRoutes.caller(request, api),
                                                        comment: parameter(request, "comment"), now: Date().timeIntervalSince1970)
                        return json(DocumentView(doc))
                    } catch { return FleetRoutes.problem(error) }
                },
                APIRoute(.get, base + "/history") { _, context, api -> Response in
                    guard let fleet = api.config.fleet else { return FleetRoutes.disabled }
                    switch named(context, p, scope) {
                    case .failure(let r): return r.response
                    case .success(let s): return json(fleet.history(s).map(DocumentView.init))
                    }
                },
                APIRoute(.get, base + "/diff") { request, context, api -> Response in
                    guard let fleet = api.config.fleet else { return FleetRoutes.disabled }
                    let s: ConfigScope
                    switch named(context, p, scope) { case .failure(let r): return r.response; case .success(let v): s = v }
                    guard let from = Int64(parameter(request, "from") ?? ""), let to = Int64(parameter(request, "to") ?? "") else {
                        return Problem.badRequest("'from' and 'to' (versions) are required")
                    }
                    let a = from == 0 ? nil : fleet.document(s, revision: from), b = fleet.document(s, revision: to)
                    guard from == 0 || a != nil else { return Problem.notFound("\(s) has no version \(from)") }
                    guard let b else { return Problem.notFound("\(s) has no version \(to)") }
                    return text(LineDiff.unified(a?.yaml ?? "", b.yaml ?? "", oldName: "\(s)@\(from)", newName: "\(s)@\(to)"), contentType: "text/x-diff; charset=utf-8")
                },
            ]
        }
    }
}

struct GroupAssignment: Decodable { var group: String? }
struct GroupRequest: Decodable { var site: String?; var tags: [String]?; var description: String? }

struct GroupView: Encodable {
    var name: String; var site: String?; var tags: [String]; var description: String?; var agents: [String]
    init(_ g: AgentGroup, members: [String]) { name = g.name; site = g.site; tags = g.tags; description = g.description; agents = members }
}

struct DocumentView: Encodable {
    var scope: String; var version: Int64; var yaml: String?; var deleted: Bool; var author: String; var at: String; var comment: String?
    init(_ d: ConfigDocument) {
        scope = d.scope; version = d.revision; yaml = d.yaml; deleted = d.yaml == nil; author = d.author; at = Timestamp.format(d.at); comment = d.comment
    }
}

/// An agent of the fleet as the API shows it: its registration, group, and where its
/// configuration stands (`desired_version` against `applied_version`, the last error).
struct FleetAgentView: Encodable {
    var agent: String; var registration: AgentRegistration?; var authenticated: Bool; var registeredAt: String?
    var group: String?; var assignedGroup: String?; var desiredVersion: Int64; var appliedVersion: Int64
    var configState: String; var configError: String?; var configErrorKey: String?; var pendingRestart: [String]; var reportedAt: String?

    init(_ a: FleetAgent, desired: Int64) {
        agent = a.agent; registration = a.registration; authenticated = a.authenticated; registeredAt = a.registeredAt.map(Timestamp.format)
        group = a.effectiveGroup; assignedGroup = a.assignedGroup; desiredVersion = desired
        appliedVersion = a.status?.running ?? a.registration?.appliedVersion ?? 0
        pendingRestart = a.status?.pendingRestart ?? []; reportedAt = a.statusAt.map(Timestamp.format)
        if let s = a.status, s.outcome == .refused, s.version >= desired {
            configState = "refused"; configError = s.error; configErrorKey = s.key
        } else {
            configState = appliedVersion >= desired ? "in_sync" : "pending"
        }
    }
}
