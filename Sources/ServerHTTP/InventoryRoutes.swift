import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// The declared inventory: whole (JSON or YAML), per node, per edge.
    enum InventoryRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/inventory") { request, _, api -> Response in
                let inv = api.correlator.inventory
                let format = parameter(request, "format")
                if let format, format != "json" && format != "yaml" { return Problem.badRequest("'format' must be json or yaml, not '\(format)'") }
                let wantsYAML = format == "yaml" || (format == nil && (request.headers[.accept] ?? "").contains("yaml"))
                return wantsYAML ? text(inv.yaml(), contentType: "application/yaml") : json(inv)
            },
            APIRoute(.put, "api/v1/inventory") { request, _, api -> Response in
                var request = request
                if let refused = unsupportedMediaType(request, inventoryTypes) { return refused }
                guard let bytes = try await body(&request, limit: api.config.maxBodyBytes) else { return tooLarge(api.config.maxBodyBytes) }
                // An empty body is a mistake, not "no inventory": an empty inventory is said explicitly (`nodes: []`).
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                    return Problem.make(422, "the body is empty; send an inventory document (an empty inventory is 'nodes: []')").response()
                }
                do {
                    // A JSON body is read as JSON (YAML 1.2 is a superset of JSON, but its parser refuses some
                    // JSON texts, e.g. C1 control characters), anything else as YAML.
                    let inv = mediaType(request) == "application/json" ? try Inventory.parse(json: Data(bytes))
                        : try Inventory.parse(yaml: String(decoding: bytes, as: UTF8.self))
                    try await api.correlator.edit { try $0.replaceInventory(inv) }
                    return json(api.correlator.inventory)
                } catch { return Problem.inventory(error) }
            },
            APIRoute(.get, "api/v1/inventory/nodes/**") { _, context, api -> Response in
                let id = catchAllID(context)
                guard let node = api.correlator.node(id) else { return Problem.notFound("no node '\(id)'") }
                return json(node)
            },
            APIRoute(.put, "api/v1/inventory/nodes/**") { request, context, api -> Response in
                var request = request
                let id = catchAllID(context)
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: api.config.maxBodyBytes) else { return tooLarge(api.config.maxBodyBytes) }
                var object = ((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]) ?? [:]
                if object.isEmpty { return Problem.make(422, "the body must be a JSON node object (kind, name, reduce, rules)").response() }
                if let given = object["id"] {
                    // Optional, but when given a string equal to the path's id (`{}` or 0 is not an id).
                    guard let bodyID = given as? String else { return Problem.make(422, "node '\(id)', field 'id': not a string").response() }
                    if bodyID != id { return Problem.make(422, "node '\(id)', field 'id': the body says '\(bodyID)'").response() }
                }
                object["id"] = id
                do {
                    let node = try JSONDecoder().decode(Node.self, from: JSONSerialization.data(withJSONObject: object))
                    try await api.correlator.edit { try $0.upsertNode(node) }
                    return json(node)
                } catch let e as InventoryError {
                    return Problem.inventory(e)
                } catch let e as DecodingError {
                    return Problem.make(422, "node '\(id)': \(describe(e))").response()
                }
            },
            APIRoute(.delete, "api/v1/inventory/nodes/**") { _, context, api -> Response in
                do {
                    let id = catchAllID(context)
                    try await api.correlator.edit { try $0.removeNode(id) }
                    return Response(status: .noContent)
                } catch { return Problem.inventory(error) }
            },
            APIRoute(.get, "api/v1/inventory/edges") { _, _, api -> Response in json(api.correlator.inventory.edges) },
            APIRoute(.put, "api/v1/inventory/edges") { request, _, api -> Response in
                var request = request
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: api.config.maxBodyBytes) else { return tooLarge(api.config.maxBodyBytes) }
                do {
                    let edge = try JSONDecoder().decode(ImpactEdge.self, from: Data(bytes))
                    try await api.correlator.edit { try $0.upsertEdge(edge) }
                    return json(edge)
                } catch let e as InventoryError {
                    return Problem.inventory(e)
                } catch let e as DecodingError {
                    return Problem.make(422, "edge: \(describe(e))").response()
                }
            },
            APIRoute(.delete, "api/v1/inventory/edges") { request, _, api -> Response in
                guard let child = parameter(request, "child"), let parent = parameter(request, "parent") else {
                    return Problem.badRequest("'child' and 'parent' query parameters are required")
                }
                do {
                    try await api.correlator.edit { try $0.removeEdge(child: child, parent: parent) }
                    return Response(status: .noContent)
                } catch { return Problem.inventory(error) }
            },
        ]
    }
}
