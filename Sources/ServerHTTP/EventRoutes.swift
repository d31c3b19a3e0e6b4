import Correlation
import Foundation
import Hummingbird
import NIOCore

extension ServerAPI {
    /// `GET /api/v1/events`: state changes as server-sent events.
    enum EventRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/events") { _, _, api -> Response in events(api.correlator) },
            // HEAD must not subscribe (the stream's body, which unsubscribes, never runs).
            APIRoute(.head, "api/v1/events") { _, _, api -> Response in
                Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"])
            },
        ]
    }

    // MARK: Events

    static func events(_ correlator: Correlator) -> Response {
        let (id, stream) = correlator.subscribe()
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // One stream of chunks: the events, and a comment every 15 s so that a client gone away
            // is noticed (the write fails) even when nothing changes.
            let (chunks, output) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1000))
            let pump = Task {
                var n = 0
                for await e in stream {
                    n += 1
                    let data = String(decoding: StateChangeJSON.encode(e), as: UTF8.self)
                    output.yield("event: state\nid: \(n)\ndata: \(data)\n\n")
                }
                output.finish()
            }
            let ping = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 15_000_000_000)
                    output.yield(": ping\n\n")
                }
            }
            defer {
                pump.cancel()
                ping.cancel()
                correlator.unsubscribe(id)
            }
            try await writer.write(ByteBuffer(string: ": vigie-server state changes\nretry: 2000\n\n"))
            for await chunk in chunks {
                try await writer.write(ByteBuffer(string: chunk))
            }
            try await writer.finish(nil)
        })
    }
}

struct EventPayload: Encodable {
    var node: String, kind: String, state: String, previous: String?, causes: [String], rootCauses: [String], flapping: Bool, at: String
    init(_ e: StateChangeEvent) {
        node = e.node; kind = e.kind.rawValue; state = e.state.rawValue; previous = e.previous?.rawValue
        causes = e.causes; rootCauses = e.rootCauses; flapping = e.flapping; at = Timestamp.format(e.at)
    }
}
