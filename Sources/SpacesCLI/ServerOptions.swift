import ArgumentParser
import Configuration

/// Options of commands that run a server: the config file and the flags that override it.
struct ServerOptions: ParsableArguments {
    @Option(help: "YAML configuration file (default: Config/spaces.yaml when present).")
    var config: String?

    @Option(help: "Address to listen on (server.bind).")
    var bind: String?

    @Option(help: "Port to listen on; 0 picks a free one (server.port).")
    var port: Int?

    @Option(name: .customLong("host-key"), help: "Bearer key that may create and end Spaces (server.hostKey).")
    var hostKey: String?

    @Option(name: .customLong("event-loops"), help: "Event loops, one relay shard each; 0 = one per core (server.eventLoops).")
    var eventLoops: Int?

    /// The flags given, as configuration keys.
    var overrides: [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let bind { values["server.bind"] = .init(.string(bind), isSecret: false) }
        if let port { values["server.port"] = .init(.int(port), isSecret: false) }
        if let hostKey { values["server.hostKey"] = .init(.string(hostKey), isSecret: true) }
        if let eventLoops { values["server.eventLoops"] = .init(.int(eventLoops), isSecret: false) }
        return values
    }

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be within 0…65535") }
        if let eventLoops, eventLoops < 0 { throw ValidationError("--event-loops must be 0 or more") }
    }
}
