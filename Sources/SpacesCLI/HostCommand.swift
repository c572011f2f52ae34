import ArgumentParser
import Foundation
import ServiceLifecycle
import SpacesClient
import SpacesCore
import UnixSignals
import NIOConcurrencyHelpers

struct HostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Start and end Spaces as their host, and run their conversation.",
        discussion: """
            On a terminal, `host start` shows a live console: the question queue, raised hands and \
            reactions, with keys to pick, answer, dismiss, pin and invite. The other commands do \
            the same over HTTP for scripts, with the Space's host token.
            """,
        subcommands: [
            Start.self, End.self, Questions.self, Pick.self, Answer.self, Dismiss.self, Pin.self, Unpin.self,
            Hands.self, Invite.self, InviteLink.self,
        ]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a Space and stream audio to it at real time; end it at end of input or on Ctrl-C."
        )

        @OptionGroup var client: ClientOptions

        @Option(help: "Title of the Space.")
        var title: String

        @Option(help: "Listener capacity (the server's default when omitted).")
        var capacity: Int?

        @Option(help: "open (anyone with the link) or invite (only holders of an invite link, printed at start).")
        var access = "open"

        @Option(help: "talk.wav (PCM, 8/12/16/24/48 kHz, mono or stereo), talk.opus (Ogg Opus, sent as is), or - for raw s16le PCM on stdin.")
        var input: String?

        @Option(help: "Stream a sine tone of this frequency in Hz instead of an input.")
        var tone: Double?

        @Option(help: "Stop after this many seconds.")
        var duration: Double?

        @Option(help: "Opus bitrate in bit/s when encoding.")
        var bitrate = 32_000

        @Option(help: "Sample rate of raw PCM on stdin.")
        var rate = 48_000

        @Option(help: "Channels of raw PCM on stdin.")
        var channels = 1

        @Option(name: .customLong("frames-per-batch"), help: "20 ms frames per message to the server (1…50).")
        var framesPerBatch = 1

        @Flag(help: "Print plain lines even on a terminal, instead of the live console.")
        var plain = false

        func validate() throws {
            guard (self.input == nil) != (self.tone == nil) else {
                throw ValidationError("give exactly one source: --input FILE|- or --tone HZ")
            }
            if let tone, !(20...20_000).contains(tone) { throw ValidationError("--tone must be within 20…20000 Hz") }
            if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
            if !(6_000...510_000).contains(self.bitrate) { throw ValidationError("--bitrate must be within 6000…510000") }
            if ![8_000, 12_000, 16_000, 24_000, 48_000].contains(self.rate) {
                throw ValidationError("--rate must be 8000, 12000, 16000, 24000 or 48000")
            }
            if ![1, 2].contains(self.channels) { throw ValidationError("--channels must be 1 or 2") }
            if !(1...50).contains(self.framesPerBatch) { throw ValidationError("--frames-per-batch must be within 1…50") }
            if SpacesCore.SpaceAccess(rawValue: self.access) == nil { throw ValidationError("--access must be open or invite") }
        }

        func makeSource() -> @Sendable () throws -> any PacketSource {
            let (input, tone, duration, bitrate, rate, channels) = (self.input, self.tone, self.duration, self.bitrate, self.rate, self.channels)
            return {
                if let tone {
                    return try EncodingPacketSource(pcm: TonePCMSource(frequency: tone, seconds: duration), bitrate: bitrate)
                }
                let path = input!
                if path == "-" {
                    return try EncodingPacketSource(pcm: StdinPCMSource(sampleRate: rate, channels: channels), bitrate: bitrate)
                }
                if path.lowercased().hasSuffix(".opus") || path.lowercased().hasSuffix(".ogg") {
                    return try OggPacketSource(path: path)
                }
                return try EncodingPacketSource(pcm: WAVPCMSource(path: path), bitrate: bitrate)
            }
        }

        func run() async throws {
            lineBufferedOutput()
            let api = try SpacesAPIClient(server: self.client.server)
            let access = SpacesCore.SpaceAccess(rawValue: self.access) ?? .open
            let streamer = HostStreamer(
                api: api, hostKey: try self.client.requireHostKey(),
                title: self.title, capacity: self.capacity, framesPerBatch: self.framesPerBatch, access: access
            )
            // The console needs a terminal for its screen and one for keys; else plain lines.
            let terminal = self.plain ? nil : ConsoleTerminal.open()
            let console = terminal.map { _ in HostConsole(title: self.title) }
            let line = LiveLine()
            let tick = Tick()
            let duration = self.duration
            let source = self.makeSource()
            let created = AsyncStream.makeStream(of: CreateSpaceResponse.self)
            let status = try await withThrowingTaskGroup(of: HostStreamer.Status?.self, returning: HostStreamer.Status?.self) { group in
                group.addTask {
                    try await streamer.run(
                        source: { try DurationLimitedSource(upstream: source(), seconds: duration) },
                        onCreated: { space, invite in
                            print("Space \(space.id) \"\(space.title)\" is live\(invite == nil ? "" : ", invite-only")")
                            print("listen: spaces listen \(invite?.listenURL ?? space.listenURL)")
                            if let page = invite?.pageURL ?? space.pageURL { print("page:   \(page)") }
                            if let invite { print("invite: valid until \(invite.expiresAt); more with spaces host invite-link \(space.id) --token …") }
                            print("end:    spaces host end \(space.id) --token \(space.hostToken)")
                            created.continuation.yield(space)
                            created.continuation.finish()
                        },
                        onStatus: { status in
                            guard console == nil else { return }  // the console shows the figures
                            line.update(
                                "listeners \(status.listeners)  frames relayed \(status.framesRelayed)  invalid \(status.invalidPackets)",
                                tick: tick.next()
                            )
                        },
                        onEvent: { event in
                            if let console {
                                console.receive(event)
                            } else if let text = ConsoleLog.line(for: event) {
                                // Over the live line, when it is on a terminal.
                                print(line.isTerminal ? "\r\u{1B}[2K" + text : text)
                            }
                        },
                        onFailover: { node in
                            let text = "the node was lost: publishing again through \(node.hostHeader)"
                            if let console {
                                console.follow(node)
                            } else {
                                print(line.isTerminal ? "\r\u{1B}[2K" + text : text)
                            }
                        },
                        actions: console?.actions
                    )
                }
                group.addTask {
                    try await waitForTerminationSignal()
                    return nil
                }
                if let console, let terminal {
                    group.addTask {
                        // `q` stops the host as Ctrl-C does.
                        guard let space = await created.stream.first(where: { _ in true }) else { return nil }
                        try await console.run(terminal: terminal, space: space, api: api)
                        return nil
                    }
                }
                let first = try await group.next()!
                group.cancelAll()
                if let first { return first }
                // A signal or `q`: the streamer ends the Space as it unwinds.
                var status: HostStreamer.Status?
                while !group.isEmpty {
                    do {
                        if let next = try await group.next(), let next { status = next }
                    } catch is CancellationError {}
                }
                return status
            }
            if console == nil { line.finish() }
            if let status {
                print("ended Space \(status.space.id): \(status.framesSent) frames sent, \(status.framesRelayed) relayed, peak listeners \(status.peakListeners)")
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a Space.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The Space's id.")
        var id: String

        @Option(help: "The Space's host token (else the host key is used).")
        var token: String?

        func run() async throws {
            let api = try SpacesAPIClient(server: self.client.server)
            let info = try await api.endSpace(id: self.id, token: try self.token ?? self.client.requireHostKey())
            print("Space \(info.id) \"\(info.title)\" is \(info.state.rawValue)")
        }
    }
}

extension HostCommand {
    /// `spaces host invite-link`: a new invite to an invite-only Space.
    struct InviteLink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "invite-link",
            abstract: "Mint an invite to an invite-only Space and print the links that carry it."
        )

        @OptionGroup var space: SpaceAccess

        @Option(help: "Seconds the invite is valid (60…2592000; default a day).")
        var ttl: Int?

        func run() async throws {
            let invite = try await self.space.explaining {
                try await self.space.api().invite(spaceID: self.space.id, token: self.space.credential(), ttlSeconds: self.ttl)
            }
            print("page:   \(invite.pageURL)")
            print("listen: spaces listen \(invite.listenURL)")
            print("valid until \(invite.expiresAt)")
        }
    }

    /// What every host command over HTTP needs: the server, the Space and its host token.
    ///
    /// Not ``ClientOptions``: these routes take the Space's host token only (docs/PROTOCOL.md
    /// §6.3), so a `--host-key` here would be an option that can only fail.
    struct SpaceAccess: ParsableArguments {
        @Option(help: "Base URL of the Spaces node.")
        var server = "http://127.0.0.1:8080"

        @Argument(help: "The Space's id.")
        var id: String

        @Option(help: "The Space's host token, as `host start` printed it (or SPACES_HOST_TOKEN).")
        var token: String?

        func validate() throws {
            _ = try self.credential()
        }

        func api() throws -> SpacesAPIClient { try SpacesAPIClient(server: self.server) }

        func credential() throws -> String {
            if let token = self.token, !token.isEmpty { return token }
            if let token = ProcessInfo.processInfo.environment["SPACES_HOST_TOKEN"], !token.isEmpty { return token }
            throw ValidationError("the Space's host token is needed: --token or SPACES_HOST_TOKEN")
        }

        /// Runs `call`, turning the server's refusals into messages that say what to do.
        func explaining<T>(target: HostCommandError.Target = .none, _ call: () async throws -> T) async throws -> T {
            do {
                return try await call()
            } catch let error as HTTPStatusError {
                throw HostCommandError(status: error, space: self.id, target: target)
            }
        }
    }

    /// A question action over HTTP: the same for pick, answer, dismiss, pin and unpin.
    struct QuestionAction: ParsableArguments {
        @OptionGroup var space: SpaceAccess

        @Argument(help: "The question's id (see `spaces host questions`).")
        var questionID: String

        func run(_ name: String) async throws {
            let action = HostAction(name: name, questionID: self.questionID)!
            let result = try await self.space.explaining(target: .question(self.questionID)) {
                try await self.space.api().act(action, spaceID: self.space.id, token: self.space.credential())
            }
            print(HostCommand.describe(result))
        }
    }

    struct Questions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a Space's question queue: the one on air, then every open question by rank."
        )

        @OptionGroup var space: SpaceAccess

        @Flag(help: "Print the server's JSON instead of a table.")
        var json = false

        func run() async throws {
            let questions = try await self.space.explaining {
                try await self.space.api().questions(spaceID: self.space.id, token: self.space.credential())
            }
            if self.json {
                print(HostCommand.json(questions))
            } else {
                HostCommand.questionTable(questions).forEach { print($0) }
            }
        }
    }

    struct Pick: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a question on air (the one on air before is answered).")
        @OptionGroup var action: QuestionAction
        func run() async throws { try await self.action.run("pick") }
    }

    struct Answer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a question answered.")
        @OptionGroup var action: QuestionAction
        func run() async throws { try await self.action.run("answer") }
    }

    struct Dismiss: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dismiss a question.")
        @OptionGroup var action: QuestionAction
        func run() async throws { try await self.action.run("dismiss") }
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pin a question to the top of the queue.")
        @OptionGroup var action: QuestionAction
        func run() async throws { try await self.action.run("pin") }
    }

    struct Unpin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unpin a question.")
        @OptionGroup var action: QuestionAction
        func run() async throws { try await self.action.run("unpin") }
    }

    struct Hands: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a Space's raised hands, first raised first.")

        @OptionGroup var space: SpaceAccess

        @Flag(help: "Print the server's JSON instead of a table.")
        var json = false

        func run() async throws {
            let hands = try await self.space.explaining {
                try await self.space.api().hands(spaceID: self.space.id, token: self.space.credential())
            }
            if self.json {
                print(HostCommand.json(hands))
            } else {
                HostCommand.handTable(hands).forEach { print($0) }
            }
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invite a listener whose hand is raised to speak.")

        @OptionGroup var space: SpaceAccess

        @Argument(help: "The listener's id (see `spaces host hands`).")
        var listenerID: String

        func run() async throws {
            let result = try await self.space.explaining(target: .listener(self.listenerID)) {
                try await self.space.api().act(.invite(listenerID: self.listenerID), spaceID: self.space.id, token: self.space.credential())
            }
            print(HostCommand.describe(result))
        }
    }

    // MARK: Output, as plain functions for the tests

    /// The queue as a table: rank (`on air` for the question on air), id, votes, state, text.
    static func questionTable(_ questions: ServerEvent.Questions) -> [String] {
        let rows = (questions.onAir.map { [("on air", $0)] } ?? [])
            + questions.top.enumerated().map { (String($0.offset + 1), $0.element) }
        guard !rows.isEmpty else { return ["no open questions"] }
        let table = [["RANK", "ID", "VOTES", "STATE", "TEXT"]]
            + rows.map { [$0.0, $0.1.id, String($0.1.votes), $0.1.state + ($0.1.pinned ? " pinned" : ""), ConsoleText.sanitize($0.1.text)] }
        var lines = Self.columns(table, rightAligned: [2])
        if questions.total > questions.top.count {
            lines.append("(\(questions.total - questions.top.count) more open questions not listed)")
        }
        return lines
    }

    /// The raised hands as a table: position, listener id, seconds waited.
    static func handTable(_ hands: ServerEvent.Hands) -> [String] {
        guard !hands.hands.isEmpty else { return ["no hands raised"] }
        let table = [["POSITION", "LISTENER", "WAITED"]]
            + hands.hands.enumerated().map { [String($0.offset + 1), ConsoleText.sanitize($0.element.listenerId), "\($0.element.waitedSeconds)s"] }
        var lines = Self.columns(table, rightAligned: [2])
        if hands.total > hands.hands.count { lines.append("(\(hands.total - hands.hands.count) more raised hands not listed)") }
        return lines
    }

    /// One line for an applied action: what was done and the questions as they are now.
    static func describe(_ result: HostActionResult) -> String {
        let changed = result.questions.map { "\($0.id) \($0.state)\($0.pinned ? " pinned" : "") (\($0.votes) votes)" }
        return "\(result.action) \(result.target): applied" + (changed.isEmpty ? "" : "; now " + changed.joined(separator: ", "))
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    /// Cells padded to their column's width (the last column is not padded).
    static func columns(_ table: [[String]], rightAligned: Set<Int>) -> [String] {
        let count = table.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in table.map { column < $0.count ? ConsoleText.width($0[column]) : 0 }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - ConsoleText.width(cell))
                if column == row.count - 1 { return rightAligned.contains(column) ? padding + cell : cell }
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }.joined(separator: "  ")
        }
    }
}

/// A refusal of a host command over HTTP, said in words: which Space or question, and what to
/// do about it.
struct HostCommandError: Error, CustomStringConvertible {
    /// What the command was about, to name it in the message.
    enum Target: Sendable {
        case none
        case question(String)
        case listener(String)
    }

    var status: Int
    var code: String?
    var description: String

    init(status error: HTTPStatusError, space: String, target: Target) {
        self.status = error.status
        let body = error.response.apiError?.error
        self.code = body?.code
        let detail = body.map { " (\(error.status) \($0.code): \($0.message))" } ?? " (HTTP \(error.status))"
        switch (error.status, body?.code, target) {
        case (401, _, _):
            self.description = "the server refused the host token for Space \(space)\(detail); pass the one `spaces host start` printed, with --token"
        case (404, "no_such_question", .question(let id)):
            self.description = "Space \(space) has no question \(id)\(detail)"
        case (404, "hand_not_raised", .listener(let id)):
            self.description = "listener \(id) has no hand raised in Space \(space)\(detail)"
        case (404, _, _):
            self.description = "no Space \(space) on this server\(detail)"
        case (410, _, _):
            self.description = "Space \(space) has ended\(detail)"
        case (409, "not_open", .question(let id)):
            self.description = "question \(id) is not open\(detail)"
        case (409, _, _):
            self.description = "refused: the request conflicts with the Space's state\(detail)"
        default:
            self.description = "the server refused the request\(detail)"
        }
    }
}

/// Counts status updates for ``LiveLine``.
final class Tick: Sendable {
    private let value = NIOLockedValueBox<Int>(0)
    func next() -> Int { self.value.withLockedValue { $0 += 1; return $0 } }
}

/// Stops a source after a number of seconds of audio.
struct DurationLimitedSource: PacketSource {
    var upstream: any PacketSource
    var remainingMicros: Int?
    var channels: Int { self.upstream.channels }

    init(upstream: any PacketSource, seconds: Double?) {
        self.upstream = upstream
        self.remainingMicros = seconds.map { Int($0 * 1_000_000) }
    }

    mutating func nextPacket() throws -> (packet: [UInt8], durationMicros: Int)? {
        if let remaining = self.remainingMicros, remaining <= 0 { return nil }
        guard let next = try self.upstream.nextPacket() else { return nil }
        self.remainingMicros = self.remainingMicros.map { $0 - next.durationMicros }
        return next
    }
}
