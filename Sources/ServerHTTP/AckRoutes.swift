import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// Acknowledgements of bad states.
    enum AckRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/acks") { _, _, api -> Response in json(api.correlator.acknowledgements()) },
            APIRoute(.post, "api/v1/acks") { request, _, api -> Response in
                var request = request
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: api.config.maxBodyBytes) else { return tooLarge(api.config.maxBodyBytes) }
                guard let q = try? decode(AckRequest.self, bytes) else { return Problem.badRequest("body: {\"node\": ID, \"author\": TEXT?, \"comment\": TEXT?}") }
                do { try await api.correlator.edit { try $0.acknowledge(node: q.node, author: q.author, comment: q.comment) }; return Response(status: .noContent) }
                catch { return Problem.inventory(error) }
            },
            APIRoute(.delete, "api/v1/acks/**") { _, context, api -> Response in
                do { let node = catchAllID(context); try await api.correlator.edit { try $0.removeAcknowledgement(node: node) }; return Response(status: .noContent) }
                catch { return Problem.inventory(error) }
            },
        ]
    }
}

struct AckRequest: Decodable { var node: String; var author: String?; var comment: String? }
