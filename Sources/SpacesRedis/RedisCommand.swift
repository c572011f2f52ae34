import NIOCore

/// One argument of a command: text, bytes or a number, sent as a RESP bulk string.
public enum RedisArgument: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case bytes(ByteBuffer)
    case integer(Int64)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: UInt64) { self = .string(String(value)) }

    fileprivate var byteCount: Int {
        switch self {
        case .string(let text): text.utf8.count
        case .bytes(let buffer): buffer.readableBytes
        case .integer(let value): String(value).utf8.count
        }
    }
}

/// A command: its name and arguments, encoded as a RESP array of bulk strings.
public struct RedisCommand: Sendable, Equatable {
    public var arguments: [RedisArgument]

    public init(_ name: String, _ arguments: [RedisArgument] = []) {
        self.arguments = [.string(name)] + arguments
    }

    public init(_ name: String, _ arguments: RedisArgument...) {
        self.init(name, arguments)
    }

    /// The command's name, upper-cased.
    public var name: String {
        if case .string(let name) = self.arguments.first { return name.uppercased() }
        return ""
    }

    /// Appends `*N\r\n` and one `$len\r\n…\r\n` per argument to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: self.arguments.reduce(16) { $0 + $1.byteCount + 16 })
        buffer.writeStaticString("*")
        buffer.writeString(String(self.arguments.count))
        buffer.writeStaticString("\r\n")
        for argument in self.arguments {
            buffer.writeStaticString("$")
            buffer.writeString(String(argument.byteCount))
            buffer.writeStaticString("\r\n")
            switch argument {
            case .string(let text): buffer.writeString(text)
            case .bytes(let bytes): buffer.writeImmutableBuffer(bytes)
            case .integer(let value): buffer.writeString(String(value))
            }
            buffer.writeStaticString("\r\n")
        }
    }
}
