import SpacesClient
import SpacesCore
import NIOConcurrencyHelpers

/// The host's live console: carries out what ``ConsoleState`` decides. Events from the publish
/// socket come in through ``receive(_:)`` (any task); keys, redraws and the Space's figures
/// are handled by ``run(terminal:space:api:)``; actions go out through ``actions``, which the
/// ``HostStreamer`` sends on the publish socket.
final class HostConsole: Sendable {
    /// Figures from the server (`questions`, `reactions`, …) redraw the screen at most this
    /// often: a busy Space sends several events a second, and a terminal over a slow link
    /// should not spend its bandwidth on redraws. Keys redraw at once: they are the host's own,
    /// at human speed, and a selection that lags feels broken.
    static let redrawInterval = 0.25
    /// With nothing new, the screen still moves on this often (the clock, waited seconds).
    static let idleRedrawInterval = 1.0
    /// How often the keyboard is looked at.
    static let keyPoll = Duration.milliseconds(30)
    /// How often `GET /v1/spaces/{id}` is asked for the waiting room, which the publish socket
    /// does not tell.
    static let infoPoll = Duration.seconds(2)

    private struct Shared {
        var state: ConsoleState
        /// Something changed since the last redraw.
        var dirty = true
        /// The node the figures are asked of: the host's, which moves when its node is lost.
        var api: SpacesAPIClient?
    }

    private let shared: NIOLockedValueBox<Shared>
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    let actions: AsyncStream<HostAction>
    private let outbox: AsyncStream<HostAction>.Continuation

    /// Made before the Space exists: the streamer needs ``actions`` from the start.
    init(title: String) {
        self.origin = self.clock.now
        self.shared = NIOLockedValueBox(Shared(state: ConsoleState(spaceID: "", title: title, now: 0)))
        (self.actions, self.outbox) = AsyncStream.makeStream(of: HostAction.self)
    }

    deinit {
        self.outbox.finish()
    }

    /// Seconds since the console started.
    private var now: Double {
        let elapsed = self.clock.now - self.origin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Takes an event of the publish socket.
    func receive(_ event: ServerEvent) {
        let now = self.now
        self.shared.withLockedValue { shared in
            if shared.state.apply(event, at: now) { shared.dirty = true }
        }
    }

    /// Runs the console until the host presses `q` (then returns) or the task is cancelled
    /// (then throws `CancellationError`). The terminal is put back either way.
    func run(terminal: ConsoleTerminal, space: CreateSpaceResponse, api: SpacesAPIClient) async throws {
        self.shared.withLockedValue { shared in
            shared.state.spaceID = space.id
            shared.state.title = space.title
            if shared.api == nil { shared.api = api }
        }
        terminal.enter()
        defer { terminal.leave() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.pollInfo(space: space) }
            defer {
                // The terminal first: the group then waits for a poll in flight, which a busy
                // node may hold for seconds.
                terminal.leave()
                group.cancelAll()
            }
            try await self.loop(terminal: terminal)
        }
    }

    /// The host now publishes through `node` (its node was lost): the figures follow it.
    func follow(_ node: ServerURL) {
        let api = SpacesAPIClient(server: node.with(target: "/"))
        self.shared.withLockedValue { $0.api = api }
    }

    /// Keys and redraws; returns when the host quits.
    private func loop(terminal: ConsoleTerminal) async throws {
        var decoder = ConsoleKey.Decoder()
        var lastDraw = -Double.infinity
        var lastSize = (width: 0, height: 0)
        while true {
            try Task.checkCancellation()
            let keys = decoder.feed(terminal.readAvailable())
            var quit = false
            var pressed = false
            for key in keys {
                let effects = self.shared.withLockedValue { shared in
                    shared.dirty = true
                    return shared.state.press(key)
                }
                pressed = true
                for effect in effects {
                    switch effect {
                    case .send(let action): self.outbox.yield(action)
                    case .quit: quit = true
                    }
                }
            }
            if quit { return }

            let now = self.now
            let size = terminal.size()
            let resized = size != lastSize
            let lines: [String]? = self.shared.withLockedValue { shared in
                let due = now - lastDraw >= (shared.dirty ? Self.redrawInterval : Self.idleRedrawInterval)
                guard pressed || resized || due else { return nil }
                shared.dirty = false
                shared.state.tick(at: now)
                return ConsoleScreen.render(shared.state, width: size.width, height: size.height)
            }
            if let lines {
                terminal.draw(lines, clearFirst: resized)
                lastDraw = now
                lastSize = size
            }
            try await Task.sleep(for: Self.keyPoll)
        }
    }

    /// Listeners and the waiting room, from the API. A failed poll keeps the last figures: the
    /// node may be busy, and the audio matters more than the count.
    private func pollInfo(space: CreateSpaceResponse) async throws {
        while true {
            if let api = self.shared.withLockedValue({ $0.api }), let info = try? await api.space(id: space.id) {
                let now = self.now
                self.shared.withLockedValue { shared in
                    shared.state.apply(info, at: now)
                    shared.dirty = true
                }
            }
            try await Task.sleep(for: Self.infoPoll)
        }
    }
}
