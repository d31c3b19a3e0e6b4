import Foundation
import Testing
import VigieTestSupport
@testable import Correlation
@testable import ServerHTTP

/// Regression tests of what schemathesis found against Schemas/server-api.yaml
/// (ServerAPISchemathesisTests), each on its own with curl.
@Suite("vigie-server API conformance", .serialized, .enabled(if: HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("gzip"), "needs curl and gzip"))
struct ServerAPIConformanceTests {
    /// Status, headers and body of one request.
    static func call(_ f: HTTPFixture, _ method: String, _ path: String, type: String? = nil, body: String? = nil) throws -> (status: Int, headers: String, body: String) {
        let headers = f.dir + "/headers-\(UUID().uuidString.prefix(8))"
        // HEAD with -I: `-X HEAD` would wait for the body that Content-Length announces.
        var argv = ["curl", "-s", "-D", headers, "-w", "\n%{http_code}"] + (method == "HEAD" ? ["-I"] : ["-X", method])
        if let type { argv += ["-H", "Content-Type: \(type)"] }
        if let body { argv += ["--data-binary", body] }
        let r = try HTTPFixture.run(argv + [f.url(path)])
        let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
        let h = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
        return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, h.lowercased(), String(r.stdout[..<cut]))
    }

    @Test("a method a path does not have answers 405 with Allow (not the router's 404); unknown paths stay 404")
    func methodNotAllowed() throws {
        let f = try HTTPFixture()
        let patch = try Self.call(f, "PATCH", "/api/v1/weather")
        #expect(patch.status == 405)
        #expect(patch.headers.contains("allow: get, head"), "\(patch.headers)")
        #expect(patch.headers.contains("content-type: application/problem+json"))
        let getIngest = try Self.call(f, "GET", "/api/v1/ingest")
        #expect(getIngest.status == 405)
        #expect(getIngest.headers.contains("allow: post"))
        #expect(try Self.call(f, "POST", "/api/v1/nodes/10.0.0.5:443/tcp").status == 405)
        let trace = try Self.call(f, "TRACE", "/api/v1/inventory/edges")
        #expect(trace.status == 405)
        #expect(trace.headers.contains("allow: get, head, put, delete"))
        #expect(try Self.call(f, "DELETE", "/api/v1/maintenance/1").status == 404)  // the method exists: no such window
        #expect(try Self.call(f, "GET", "/api/v1/maintenance/1").status == 405)
        #expect(try Self.call(f, "GET", "/api/v1/nothing").status == 404)
        #expect(try Self.call(f, "HEAD", "/api/v1/weather").status == 200)
        #expect(RouteMethodsProbe.allowed("/api/v1/acks") == "GET, HEAD, POST")
        #expect(RouteMethodsProbe.allowed("/api/v1/acks/web") == "DELETE")
    }

    @Test("query parameters outside their listed values answer 400 instead of being ignored")
    func queryParameters() throws {
        let f = try HTTPFixture()
        #expect(try f.get("/api/v1/weather?all=maybe").status == 400)
        #expect(try f.get("/api/v1/weather?all=1").status == 200)
        #expect(try f.get("/api/v1/weather?all=false").status == 200)
        #expect(try f.get("/api/v1/flows?limit=0").status == 400)
        #expect(try f.get("/api/v1/flows?limit=ten").status == 400)
        #expect(try f.get("/api/v1/flows?limit=10001").status == 400)
        #expect(try f.get("/api/v1/flows?limit=10000").status == 200)
        #expect(try f.get("/api/v1/inventory?format=xml").status == 400)
        #expect(try f.get("/api/v1/inventory?format=yaml").status == 200)
        #expect(try f.get("/api/v1/dependencies?status=old").status == 400)
        #expect(try f.get("/api/v1/dependencies?status=gone").status == 200)
    }

    @Test("PUT /api/v1/inventory/nodes/{id}: a body id that is not a string answers 422")
    func nodeIDType() throws {
        let f = try HTTPFixture()
        #expect(try Self.call(f, "PUT", "/api/v1/inventory/nodes/crm", type: "application/json", body: #"{"id":{},"kind":"service"}"#).status == 422)
        #expect(try Self.call(f, "PUT", "/api/v1/inventory/nodes/crm", type: "application/json", body: #"{"id":5,"kind":"service"}"#).status == 422)
        #expect(try f.get("/api/v1/inventory/nodes/crm").status == 404)
        #expect(try Self.call(f, "PUT", "/api/v1/inventory/nodes/crm", type: "application/json", body: #"{"id":"crm","kind":"service"}"#).status == 200)
    }

    @Test("inventory: YAML `id: null` is no id (not the node \"null\"); a JSON body is read as JSON")
    func inventoryBodies() throws {
        #expect(throws: InventoryError.self) { try Inventory.parse(yaml: "nodes:\n  - {id: null, kind: site}\n") }
        #expect(throws: InventoryError.self) { try Inventory.parse(yaml: "nodes:\n  - id:\n    kind: site\n") }
        #expect(try Inventory.parse(yaml: "nodes:\n  - {id: \"null\", kind: site}\n").nodes.first?.id == "null")
        let f = try HTTPFixture()
        #expect(try Self.call(f, "PUT", "/api/v1/inventory", type: "application/yaml", body: "nodes:\n  - {id: null, kind: site}\n").status == 422)
        // A raw C1 control character (U+0094, unescaped) in a JSON string: valid JSON, refused by the YAML parser.
        let json = "{\"nodes\":[{\"id\":\"a\",\"kind\":\"site\",\"name\":\"x\u{94}y\"}],\"edges\":null}"
        // As YAML it is refused (what a JSON body got before it was read as JSON)...
        #expect(try Self.call(f, "PUT", "/api/v1/inventory", type: "application/yaml", body: json).status == 422)
        let put = try Self.call(f, "PUT", "/api/v1/inventory", type: "application/json", body: json)
        #expect(put.status == 200, "\(put.body)")
        #expect(try f.get("/api/v1/inventory/nodes/a").status == 200)
    }
}

/// ``RouteMethods`` through the module's testable interface, as the Allow header spells it.
enum RouteMethodsProbe {
    static func allowed(_ path: String) -> String? {
        RouteMethods.allowed(path: path)?.map(\.rawValue).joined(separator: ", ")
    }
}
