/// Where a Redis server is: `redis://[[user]:password@]host[:port][/db]`.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a `redis://` URL; IPv6 hosts go in brackets (`redis://[::1]:6379`).
    public init(_ text: String) throws(RedisError) {
        guard text.hasPrefix("redis://") else { throw .invalidURL(text) }
        var rest = Substring(text.dropFirst("redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else { throw .invalidURL(text) }
                database = number
            }
            rest = rest[..<slash]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : String(user)
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                password = String(credentials)
            }
        }
        var host = rest
        var port = 6379
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidURL(text) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()) else { throw .invalidURL(text) }
                port = number
            } else if !after.isEmpty {
                throw .invalidURL(text)
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let number = Int(rest[rest.index(after: colon)...]) else { throw .invalidURL(text) }
            port = number
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw .invalidURL(text) }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    /// The URL without its password.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let credentials = self.password == nil ? "" : "\(self.username ?? ""):***@"
        return "redis://\(credentials)\(host):\(self.port)\(self.database == 0 ? "" : "/\(self.database)")"
    }
}
