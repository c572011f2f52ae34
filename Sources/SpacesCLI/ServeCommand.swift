import ArgumentParser
import Logging
import ServiceLifecycle
import SpacesCore
import SpacesServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a Spaces node: the HTTP API, the WebSocket endpoints and the relay."
    )

    @OptionGroup var options: ServerOptions

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        lineBufferedOutput()
        var configuration = try await SpacesConfiguration.load(file: self.options.config, overrides: self.options.overrides)
        var logger = Logger(label: "spaces")
        logger.logLevel = self.logLevel
        if configuration.server.hostKey.isEmpty {
            configuration.server.hostKey = Token.random(bytes: 16)
            print("host key (made at start; set server.hostKey or SPACES_SERVER_HOST_KEY to keep one): \(configuration.server.hostKey)")
        }
        let server = try SpacesServer(configuration: configuration, logger: logger)
        let address = try await server.start()
        print("spaces listening on \(configuration.server.tls.enabled ? "https" : "http")://\(configuration.server.bind):\(address.port ?? configuration.server.port)")
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
