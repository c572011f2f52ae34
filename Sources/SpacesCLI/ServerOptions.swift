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

    @Option(name: .customLong("cluster"), help: "Join the cluster held by this Redis, redis://HOST:PORT (cluster.url).")
    var cluster: String?

    @Option(name: .customLong("node-id"), help: "This node's id in the cluster; default a random one (cluster.nodeID).")
    var nodeID: String?

    @Option(name: .customLong("public-url"), help: "Where listeners reach this node, e.g. ws://10.0.0.5:8080 (cluster.publicURL).")
    var publicURL: String?

    @Option(name: .customLong("tls-certificate"), help: "PEM certificate chain: serve TLS, https:// and wss:// (server.tls.certificate).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-certificate (server.tls.key).")
    var tlsKey: String?

    /// The flags given, as configuration keys.
    var overrides: [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let bind { values["server.bind"] = .init(.string(bind), isSecret: false) }
        if let port { values["server.port"] = .init(.int(port), isSecret: false) }
        if let hostKey { values["server.hostKey"] = .init(.string(hostKey), isSecret: true) }
        if let eventLoops { values["server.eventLoops"] = .init(.int(eventLoops), isSecret: false) }
        if let cluster { values["cluster.url"] = .init(.string(cluster), isSecret: true) }
        if let nodeID { values["cluster.nodeID"] = .init(.string(nodeID), isSecret: false) }
        if let publicURL { values["cluster.publicURL"] = .init(.string(publicURL), isSecret: false) }
        if let tlsCertificate { values["server.tls.certificate"] = .init(.string(tlsCertificate), isSecret: false) }
        if let tlsKey { values["server.tls.key"] = .init(.string(tlsKey), isSecret: false) }
        return values
    }

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be within 0…65535") }
        if let cluster, !cluster.hasPrefix("redis://") { throw ValidationError("--cluster takes a redis://HOST:PORT URL") }
        if let eventLoops, eventLoops < 0 { throw ValidationError("--event-loops must be 0 or more") }
    }
}
