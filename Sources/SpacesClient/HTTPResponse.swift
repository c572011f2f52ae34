import Foundation
import NIOHTTP1
import SpacesCore

/// A whole HTTP response as the client received it.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var text: String { String(decoding: self.body, as: UTF8.self) }

    /// Decodes the body as `T`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(self.body))
    }

    /// The API error in the body, if it has one.
    public var apiError: APIError.Body? { try? self.decode(APIError.Body.self) }
}

/// A request the server answered with an error status.
public struct HTTPStatusError: Error, CustomStringConvertible, Sendable {
    public var response: HTTPResponse
    public init(response: HTTPResponse) { self.response = response }
    public var status: Int { self.response.status }
    public var description: String {
        if let error = self.response.apiError {
            return "HTTP \(self.response.status) \(error.error.code): \(error.error.message)"
        }
        return "HTTP \(self.response.status): \(self.response.text.prefix(200))"
    }
}
