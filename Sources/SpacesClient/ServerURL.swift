/// A `ws://`, `wss://`, `http://` or `https://` URL split for a socket connection.
public struct ServerURL: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// Path and query, starting with `/`.
    public var target: String

    public enum Invalid: Error, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let url): "not a ws://, wss://, http:// or https:// URL: \(url)"
            }
        }
    }

    public init(_ string: String) throws(Invalid) {
        let lower = string.lowercased()
        let rest: Substring
        if lower.hasPrefix("ws://") || lower.hasPrefix("http://") {
            self.secure = false
            rest = string[string.index(string.firstIndex(of: ":")!, offsetBy: 3)...]
        } else if lower.hasPrefix("wss://") || lower.hasPrefix("https://") {
            self.secure = true
            rest = string[string.index(string.firstIndex(of: ":")!, offsetBy: 3)...]
        } else {
            throw .malformed(string)
        }
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<slash]
        var target = String(rest[slash...])
        if target.isEmpty { target = "/" } else if target.first == "?" { target = "/" + target }
        self.target = target
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .malformed(string) }
            self.host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let port = Int(after.dropFirst()) else { throw .malformed(string) }
                self.port = port
            } else {
                self.port = self.secure ? 443 : 80
            }
        } else if let colon = authority.lastIndex(of: ":") {
            self.host = String(authority[..<colon])
            guard let port = Int(authority[authority.index(after: colon)...]) else { throw .malformed(string) }
            self.port = port
        } else {
            self.host = String(authority)
            self.port = self.secure ? 443 : 80
        }
        guard !self.host.isEmpty, (1...65535).contains(self.port) else { throw .malformed(string) }
    }

    /// `host:port` as the `Host` header carries it.
    public var hostHeader: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == (self.secure ? 443 : 80) ? host : "\(host):\(self.port)"
    }

    /// The same URL with another path and query.
    public func with(target: String) -> ServerURL {
        var copy = self
        copy.target = target
        return copy
    }

    /// The same URL with query item `name` set to `value` (replacing any earlier one): how a
    /// client comes back with `?ticket=` or `?resume=`.
    public func settingQuery(_ name: String, to value: String) -> ServerURL {
        let parts = self.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query = parts.count == 2 ? parts[1].split(separator: "&").map(String.init) : []
        query.removeAll { $0.hasPrefix("\(name)=") }
        query.append("\(name)=\(value)")
        return self.with(target: String(parts[0]) + "?" + query.joined(separator: "&"))
    }

    public var description: String { "\(self.secure ? "wss" : "ws")://\(self.hostHeader)\(self.target)" }
    public var httpDescription: String { "\(self.secure ? "https" : "http")://\(self.hostHeader)\(self.target)" }
}
