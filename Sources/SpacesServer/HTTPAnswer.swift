import NIOHTTP1
import SpacesCore

/// A complete HTTP answer: status, extra headers and a JSON (or text) body.
struct HTTPAnswer: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: String

    init(status: HTTPResponseStatus, body: String, contentType: String = "application/json", headers: HTTPHeaders = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
        self.headers.replaceOrAdd(name: "content-type", value: contentType)
    }

    init(_ error: APIError) {
        var headers = HTTPHeaders()
        if let retry = error.retryAfterSeconds {
            headers.add(name: "retry-after", value: String(retry))
        }
        self.init(status: HTTPResponseStatus(statusCode: error.status), body: error.json(), headers: headers)
    }
}
