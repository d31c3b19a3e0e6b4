/// What the HTTP sink does with a batch after one attempt, from the answer's status.
///
/// | status | action |
/// |---|---|
/// | 2xx | delivered: acknowledged in the spool |
/// | none (connection error, timeout), 408, 429, 5xx, 1xx/3xx | retried with backoff; a warning per episode |
/// | 401, 403 | retried with backoff (the token file re-read before each retry); an error per episode, `authFailures` counted |
/// | 400, 413, 415, 422 | dead-lettered: the server declared the batch itself malformed; counted, logged with its problem body |
/// | any other 4xx (404, 405, 409, 410 …) | retried with backoff; an error per episode |
///
/// Only a batch the server declares malformed is given up: sending it again cannot succeed. A
/// refused token or a wrong URL is the operator's to fix, and the records wait in the spool until
/// they do (its quota and priorities bound how long).
enum HTTPStatusAction: Sendable, Equatable {
    case delivered
    /// The server or the network is unavailable for now.
    case retry
    /// The token was refused (401, 403).
    case retryAuth
    /// A refusal that is not about the batch (a wrong URL or method, a server of another version).
    case retryRefused
    /// The batch itself is malformed (400, 413, 415, 422): sending it again cannot succeed.
    case deadLetter

    init(status: Int) {
        switch status {
        case 200..<300: self = .delivered
        case 401, 403: self = .retryAuth
        // 415 (wrong Content-Type) is our bug rather than the batch's, but as permanent as a 400.
        case 400, 413, 415, 422: self = .deadLetter
        case 408, 429: self = .retry
        case 400..<500: self = .retryRefused
        default: self = .retry
        }
    }
}
