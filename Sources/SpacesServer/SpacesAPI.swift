import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SpacesCore

/// The HTTP API of protocol v1 and the checks made before a WebSocket upgrade.
///
/// No I/O here: it takes a request and returns an answer, so both the HTTP handler and the
/// upgrader call it, and tests call it directly.
struct SpacesAPI: Sendable {
    /// Who may open a WebSocket, decided before the upgrade.
    enum Upgrade {
        case listen(LiveSpace, AdmissionGate.Plan)
        case publish(LiveSpace)
    }

    let configuration: SpacesConfiguration
    let registry: SpaceRegistry
    let relay: Relay
    let gate: AdmissionGate
    let metrics: ServerMetrics
    let logger: Logger
    /// `server.trustedProxies`, parsed.
    var trustedProxies: [AddressRange] = []
    /// Checks host tokens; set when the node starts (nil: only the operator's key and Spaces'
    /// host tokens are known).
    var authority: HostAuthority?
    /// The port the node is bound to (0 until it is).
    let port: BoundPort

    var boundPort: Int { self.port.value }

    /// Who a request comes from (``clientAddress(peer:headers:)``), found once per request.
    typealias Client = (source: SourceAddress, isTrusted: Bool)

    /// Decides whether a request may become a WebSocket; the error is what to answer instead.
    /// The request's target and route come parsed (once per request) from the caller.
    func upgrade(_ head: HTTPRequestHead, target: RequestTarget, route: Route, client: Client?) -> Result<Upgrade, APIError> {
        switch route {
        case .listen(let id):
            guard head.method == .GET else { return .failure(APIError(.methodNotAllowed, "use GET")) }
            guard let space = self.registry.space(id: id) else { return .failure(Self.noSuchSpace(id)) }
            guard space.state == .live else { return .failure(APIError(.gone, "the Space has ended")) }
            return self.gate.plan(space: space, query: target.query, source: client?.source).map { .listen(space, $0) }
        case .publish(let id):
            guard head.method == .GET else { return .failure(APIError(.methodNotAllowed, "use GET")) }
            guard let space = self.registry.space(id: id) else { return .failure(Self.noSuchSpace(id)) }
            guard space.state == .live else { return .failure(APIError(.gone, "the Space has ended")) }
            guard let token = Self.bearer(head.headers) ?? target.query["token"], space.isHostToken(token) else {
                return .failure(APIError(.unauthorized, "publishing needs this Space's host token"))
            }
            guard !space.hasPublisher else { return .failure(APIError(.conflict, "another publisher is live")) }
            return .success(.publish(space))
        default:
            return .failure(APIError(.notFound, "no WebSocket here"))
        }
    }

    /// A listen handshake over its address's rate (`limits.handshakesPerSecondPerAddress`):
    /// the 429 to answer. Asked once per WebSocket upgrade request, before anything else (in a
    /// cluster, before a resume's slot is claimed in Redis); a plain `GET` probe is not a
    /// handshake. A trusted proxy that names nobody behind it is not counted.
    func handshakeRefusal(route: Route, client: Client?) -> APIError? {
        guard case .listen = route, let client, !client.isTrusted else { return nil }
        return self.gate.takeHandshake(client.source)
    }

    /// Who a request comes from: its peer, or the client a trusted proxy names in
    /// `X-Forwarded-For` (every such header, in order, comma-separated entries); `isTrusted`
    /// when that is a trusted proxy itself (nobody behind it was named).
    func clientAddress(peer: SocketAddress, headers: HTTPHeaders) -> Client? {
        guard let bytes = peer.bytes else { return nil }
        var client = bytes
        var isTrusted = false
        // Anyone else's header is not even read: this is on every join's path.
        if self.trustedProxies.contains(where: { $0.contains(bytes) }) {
            let forwarded = headers["x-forwarded-for"].flatMap { $0.split(separator: ",") }.map { AddressRange.bytes(ofAddress: String($0)) }
            client = AddressRange.client(peer: bytes, forwardedFor: forwarded, trusted: self.trustedProxies)
            isTrusted = self.trustedProxies.contains(where: { $0.contains(client) })
        }
        return SourceAddress(bytes: client).map { ($0, isTrusted) }
    }

    /// Answers a plain HTTP request from `caller` (``SpacesAPI/respond(_:body:peer:on:)``
    /// finds who that is).
    func answer(_ head: HTTPRequestHead, body: ByteBuffer?, peer: SocketAddress? = nil, caller: Caller = .anonymous) -> HTTPAnswer {
        let target = RequestTarget(head.uri)
        let route = Route(path: target.path)
        switch (route, head.method) {
        case (.health, .GET), (.health, .HEAD):
            return HTTPAnswer(status: .ok, body: #"{"status":"ok"}"#)
        case (.metrics, .GET):
            self.refreshGauges()
            return HTTPAnswer(status: .ok, body: self.metrics.registry.emitToString(), contentType: "text/plain; version=0.0.4")
        case (.spaces, .GET):
            // Invite-only Spaces are not advertised.
            return self.json(.ok, SpaceList(spaces: self.registry.all().filter { $0.access == .open }.map(\.info)))
        case (.spaces, .POST):
            return self.create(head, body: body, caller: caller).answer
        case (.space(let id), .GET):
            guard let space = self.registry.space(id: id) else { return HTTPAnswer(Self.noSuchSpace(id)) }
            return self.json(.ok, space.info)
        case (.space(let id), .DELETE):
            return self.end(id: id, caller: caller)
        case (.invites(let id), .POST):
            return self.invite(id: id, head: head, body: body, caller: caller)
        case (.listen, _), (.publish, _):
            let client = peer.flatMap { self.clientAddress(peer: $0, headers: head.headers) }
            switch self.upgrade(head, target: target, route: route, client: client) {
            case .failure(let error):
                self.metrics.refused(ServerMetrics.Refusal(error.kind))
                return HTTPAnswer(error)
            case .success:
                return HTTPAnswer(APIError(.upgradeRequired, "this is a WebSocket endpoint"))
            }
        case (.home, .GET), (.home, .HEAD):
            return WebAssets.bundled.answer("home.html", otherNodes: self.registry.broker != nil)
        case (.spacePage, .GET), (.spacePage, .HEAD):
            return WebAssets.bundled.answer("space.html", otherNodes: self.registry.broker != nil)
        case (.asset(let name), .GET), (.asset(let name), .HEAD):
            return WebAssets.bundled.answer(name)
        case (.notFound, _):
            return HTTPAnswer(APIError(.notFound, "no such resource"))
        default:
            return HTTPAnswer(APIError(.methodNotAllowed, "\(head.method) is not allowed here"))
        }
    }

    func create(_ head: HTTPRequestHead, body: ByteBuffer?, caller: Caller) -> (answer: HTTPAnswer, space: LiveSpace?) {
        let owner: String
        switch caller {
        case .operatorKey: owner = ""
        case .host(let claims) where claims.rights.contains(.create): owner = claims.subject
        default:
            return (HTTPAnswer(caller.refusal(.create, needs: "creating a Space needs the host key or a host token that may create")), nil)
        }
        let request: CreateSpaceRequest
        do {
            request = try CreateSpaceRequest.decode(Data(body?.readableBytesView ?? ByteBuffer().readableBytesView))
        } catch {
            return (HTTPAnswer(error), nil)
        }
        do {
            let space = try self.registry.create(request, owner: owner)
            self.gate.open(space)
            self.metrics.spacesCreated.increment()
            let base = self.baseURL(head)
            self.logger.info("space created", metadata: ["space": "\(space.id)", "title": "\(space.title)", "owner": "\(owner)"])
            return (self.json(.created, CreateSpaceResponse(
                id: space.id, title: space.title, hostToken: space.hostToken,
                listenURL: "\(base)/v1/spaces/\(space.id)/listen",
                publishURL: "\(base)/v1/spaces/\(space.id)/publish",
                pageURL: "\(Self.pageBase(base))/s/\(space.id)"
            )), space)
        } catch {
            return (HTTPAnswer(error), nil)
        }
    }

    /// `https://host` for a `wss://host` base, `http://` for `ws://`: where the page is.
    static func pageBase(_ base: String) -> String {
        base.hasPrefix("wss://") ? "https://" + base.dropFirst(6) : "http://" + base.dropFirst(5)
    }

    private func end(id: String, caller: Caller) -> HTTPAnswer {
        guard let space = self.registry.space(id: id) else { return HTTPAnswer(Self.noSuchSpace(id)) }
        guard caller.may(.end, on: space) else {
            return HTTPAnswer(caller.refusal(.end, needs: "ending a Space needs its host token, the host key or its host's token"))
        }
        if self.endLocally(space) {
            self.registry.broker?.ended(space)
        }
        return self.json(.ok, space.info)
    }

    /// Mints an invite to an invite-only Space, for its host (or the operator).
    private func invite(id: String, head: HTTPRequestHead, body: ByteBuffer?, caller: Caller) -> HTTPAnswer {
        guard let space = self.registry.space(id: id) else { return HTTPAnswer(Self.noSuchSpace(id)) }
        guard caller.may(.moderate, on: space) else {
            return HTTPAnswer(caller.refusal(.moderate, needs: "an invite needs this Space's host token, the host key or its host's token"))
        }
        guard space.state == .live else { return HTTPAnswer(APIError(.gone, "the Space has ended")) }
        guard space.access == .invite else { return HTTPAnswer(APIError(.conflict, "this Space is open: anyone with its link may listen")) }
        let seconds: Int
        do {
            seconds = try InviteRequest.decode(Data(body?.readableBytesView ?? ByteBuffer().readableBytesView))
        } catch {
            return HTTPAnswer(error)
        }
        let (token, expires) = self.gate.invite(space: space, seconds: seconds)
        let base = self.baseURL(head)
        return self.json(.created, InviteResponse(
            invite: token,
            listenURL: "\(base)/v1/spaces/\(space.id)/listen?invite=\(token)",
            pageURL: "\(Self.pageBase(base))/s/\(space.id)?invite=\(token)",
            expiresAt: WallClock.iso8601(Date(timeIntervalSince1970: Double(expires) / 1_000_000))
        ))
    }

    /// Ends `space` on this node: its listeners are told, its line is closed. True for the call
    /// that ended it.
    @discardableResult
    func endLocally(_ space: LiveSpace) -> Bool {
        guard space.markEnded() else { return false }
        self.metrics.spacesEnded.increment()
        self.relay.end(space, reason: "ended")
        self.gate.close(space)
        self.logger.info("space ended", metadata: ["space": "\(space.id)"])
        return true
    }

    /// Answers the host's conversation routes (the queue, the hands, an action on either) once
    /// the conversation decided (in a cluster, Redis); nil for any other request.
    func converse(_ head: HTTPRequestHead, caller: Caller, on eventLoop: any EventLoop) -> EventLoopFuture<HTTPAnswer>? {
        let answer: @Sendable (LiveSpace) -> EventLoopFuture<HTTPAnswer>
        let id: String
        switch (Route(path: RequestTarget(head.uri).path), head.method) {
        case (.questions(let space), .GET):
            id = space
            answer = { space in space.conversation.hostView(all: true, on: eventLoop).map { self.json(.ok, $0.0) } }
        case (.hands(let space), .GET):
            id = space
            answer = { space in space.conversation.hostView(on: eventLoop).map { self.json(.ok, $0.1) } }
        case (.questionAction(let space, let questionID, let name), .POST):
            guard let action = HostAction(name: name, questionID: questionID) else {
                return eventLoop.makeSucceededFuture(HTTPAnswer(APIError(
                    .notFound, "no action \"\(name.prefix(40))\": use \(HostAction.questionActions.joined(separator: ", "))"
                )))
            }
            id = space
            answer = { space in self.perform(action, on: space, eventLoop: eventLoop) }
        case (.invite(let space, let listenerID), .POST):
            id = space
            answer = { space in self.perform(.invite(listenerID: listenerID), on: space, eventLoop: eventLoop) }
        default:
            return nil
        }
        return self.resolve(id, on: eventLoop).recover { _ in self.registry.space(id: id) }.flatMap { space in
            guard let space else { return eventLoop.makeSucceededFuture(HTTPAnswer(Self.noSuchSpace(id))) }
            guard caller.may(.moderate, on: space) else {
                return eventLoop.makeSucceededFuture(HTTPAnswer(caller.refusal(
                    .moderate, needs: "the conversation's host view needs this Space's host token or its host's token"
                )))
            }
            return answer(space).flatMapErrorThrowing { error in
                let error = error as? QuestionQueueError ?? .unavailable
                var headers = HTTPHeaders()
                if error == .unavailable { headers.add(name: "retry-after", value: "1") }
                return HTTPAnswer(
                    status: HTTPResponseStatus(statusCode: error.httpStatus), body: APIError.json(code: error.code, message: error.message), headers: headers
                )
            }
        }
    }

    private func perform(_ action: HostAction, on space: LiveSpace, eventLoop: any EventLoop) -> EventLoopFuture<HTTPAnswer> {
        guard space.state == .live else { return eventLoop.makeSucceededFuture(HTTPAnswer(APIError(.gone, "the Space has ended"))) }
        return space.conversation.perform(action, on: eventLoop).map { outcome in
            self.json(.ok, HostActionResult(
                action: outcome.applied.action, target: outcome.applied.target, questions: outcome.questions.map(ServerEvent.QuestionItem.init)
            ))
        }
    }

    private func refreshGauges() {
        let spaces = self.registry.all()
        self.metrics.listeners.set(Int64(self.relay.listenerCount))
        self.metrics.liveSpaces.set(Int64(spaces.filter { $0.state == .live }.count))
        let stats = self.relay.handles.map(\.stats)
        self.metrics.droppedBatches.set(Int64(stats.reduce(0) { $0 + $1.droppedBatches }))
        self.metrics.shedBatches.set(Int64(stats.reduce(0) { $0 + $1.shedBatches }))
        self.metrics.audioWrites.set(Int64(stats.reduce(0) { $0 + $1.audioWrites }))
        self.metrics.framesPerWrite.set(Int64(stats.map(\.framesPerWrite).max() ?? 1))
        self.metrics.fanoutWriteMicros.set(Int64((stats.map(\.writeNanoseconds).max() ?? 0) / 1000))
        self.metrics.relayLag.set(Int64(stats.map(\.lagMillis).max() ?? 0))
        self.metrics.staleBatches.set(Int64(stats.reduce(0) { $0 + $1.staleBatches }))
    }

    /// `ws://host` or `wss://host` from the configured public URL or the request's Host.
    private func baseURL(_ head: HTTPRequestHead) -> String {
        var base = self.configuration.server.publicURL
        if base.isEmpty {
            let host = head.headers.first(name: "host") ?? "\(self.configuration.server.bind):\(self.configuration.server.port)"
            base = "\(self.webSocketScheme)://\(host)"
        }
        return Self.webSocketBase(base)
    }

    /// `wss` on a node that serves TLS itself (`server.tls.*`), else `ws`.
    var webSocketScheme: String { self.configuration.server.tls.enabled ? "wss" : "ws" }

    /// `http(s)://` becomes `ws(s)://`, trailing slashes go: the base every URL is built on.
    static func webSocketBase(_ url: String) -> String {
        var base = url
        if base.hasPrefix("http://") { base = "ws://" + base.dropFirst(7) }
        if base.hasPrefix("https://") { base = "wss://" + base.dropFirst(8) }
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    func json<T: Encodable>(_ status: HTTPResponseStatus, _ value: T) -> HTTPAnswer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return HTTPAnswer(status: status, body: String(decoding: try! encoder.encode(value), as: UTF8.self))
    }

    static func bearer(_ headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: "authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    static func noSuchSpace(_ id: String) -> APIError {
        APIError(.notFound, "no Space \"\(id.prefix(64))\"")
    }
}
