import ArgumentParser

@main
struct SpacesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spaces",
        abstract: "Live audio Spaces: a server, a host, listeners, and a demo of all three.",
        subcommands: [ServeCommand.self, HostCommand.self, ListenCommand.self, DemoCommand.self, LoadtestCommand.self, TokenCommand.self]
    )
}
