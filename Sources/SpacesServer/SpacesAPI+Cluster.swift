import Foundation
import NIOCore
import NIOHTTP1
import SpacesCore

/// The API in a cluster: what needs the directory is looked up there before the answer.
extension SpacesAPI {
    /// Answers a request; on an embedded node at once, in a cluster after the directory's part.
    func respond(_ head: HTTPRequestHead, body: ByteBuffer?, peer: SocketAddress? = nil, on eventLoop: any EventLoop) -> EventLoopFuture<HTTPAnswer> {
        let route = Route(path: RequestTarget(head.uri).path)
        // Only the host's routes look at who is calling (a host token is checked
        // asynchronously); listeners and the page never wait for it.
        guard Self.isHostRoute(route, head.method) else {
            return self.respond(head, route: route, body: body, peer: peer, caller: .anonymous, on: eventLoop)
        }
        guard let authority = self.authority else {
            // A node without a host key: a Space's own host token is all there is to check.
            let caller: Caller = Self.bearer(head.headers).map { .bearer($0) } ?? .anonymous
            return self.respond(head, route: route, body: body, peer: peer, caller: caller, on: eventLoop)
        }
        return authority.caller(head, on: eventLoop).flatMap { caller in
            self.respond(head, route: route, body: body, peer: peer, caller: caller, on: eventLoop)
        }
    }

    /// Routes whose answer depends on the caller's credentials.
    static func isHostRoute(_ route: Route, _ method: HTTPMethod) -> Bool {
        switch (route, method) {
        case (.spaces, .POST), (.space, .DELETE), (.invites, .POST), (.questions, _), (.hands, _), (.questionAction, _), (.invite, _): true
        default: false
        }
    }

    private func respond(
        _ head: HTTPRequestHead, route: Route, body: ByteBuffer?, peer: SocketAddress?, caller: Caller, on eventLoop: any EventLoop
    ) -> EventLoopFuture<HTTPAnswer> {
        if let answer = self.converse(head, caller: caller, on: eventLoop) { return answer }
        guard let broker = self.registry.broker else {
            return eventLoop.makeSucceededFuture(self.answer(head, body: body, peer: peer, caller: caller))
        }
        switch (route, head.method) {
        case (.spaces, .POST):
            let (answer, space) = self.create(head, body: body, caller: caller)
            guard let space else { return eventLoop.makeSucceededFuture(answer) }
            // Answered once the directory has it, so that every node knows it when the host
            // and the listeners arrive.
            return broker.register(space, on: eventLoop).map { answer }.flatMapErrorWithEventLoop { error, loop in
                self.endLocally(space)
                self.logger.warning("a Space could not be registered", metadata: ["space": "\(space.id)", "error": "\(error)"])
                return loop.makeSucceededFuture(HTTPAnswer(APIError(
                    .unavailable, "the cluster's directory is unavailable; try again", retryAfterSeconds: 2
                )))
            }
        case (.spaces, .GET):
            return self.list(broker: broker, on: eventLoop).recover { _ in
                HTTPAnswer(APIError(.unavailable, "the cluster's directory is unavailable; try again", retryAfterSeconds: 2))
            }
        case (.space(let id), .GET):
            return self.resolve(id, on: eventLoop).flatMap { space in
                guard let space else { return eventLoop.makeSucceededFuture(HTTPAnswer(Self.noSuchSpace(id))) }
                return self.clusterInfo(space, broker: broker, on: eventLoop).map { self.json(.ok, $0) }
            }.recover { _ in
                HTTPAnswer(APIError(.unavailable, "the cluster's directory is unavailable; try again", retryAfterSeconds: 2))
            }
        default:
            guard let id = route.spaceID else { return eventLoop.makeSucceededFuture(self.answer(head, body: body, peer: peer, caller: caller)) }
            return self.resolve(id, on: eventLoop).map { _ in self.answer(head, body: body, peer: peer, caller: caller) }
                .recover { _ in self.answer(head, body: body, peer: peer, caller: caller) }
        }
    }

    /// The Space `id` on this node, taken from the directory if it was created elsewhere.
    func resolve(_ id: String, on eventLoop: any EventLoop) -> EventLoopFuture<LiveSpace?> {
        if let space = self.registry.space(id: id) { return eventLoop.makeSucceededFuture(space) }
        guard let broker = self.registry.broker else { return eventLoop.makeSucceededFuture(nil) }
        return broker.record(id: id, on: eventLoop).map { record in
            guard let record else { return nil }
            let space = self.registry.adopt(record)
            if space.state == .live { self.gate.open(space) }
            return space
        }
    }

    /// Resolves the Space a WebSocket request is for, if it names one; a listener resuming
    /// from another node has its slot moved here first (``AdmissionGate/claimResume(space:query:eventLoop:)``).
    func resolve(target: RequestTarget, route: Route, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard self.registry.broker != nil, let id = route.spaceID else {
            return eventLoop.makeSucceededVoidFuture()
        }
        return self.resolve(id, on: eventLoop).flatMap { space in
            guard let space, case .listen = route, space.state == .live, target.query["resume"] != nil else {
                return eventLoop.makeSucceededVoidFuture()
            }
            return self.gate.claimResume(space: space, query: target.query, eventLoop: eventLoop)
        }.recover { _ in }
    }

    /// A Space's info with the listeners of every node, and a `listenURL` on a node with room.
    private func clusterInfo(_ space: LiveSpace, broker: any Broker, on eventLoop: any EventLoop) -> EventLoopFuture<SpaceInfo> {
        let counts = broker.listenerCounts(ids: [space.id], on: eventLoop)
        let nodes = broker.liveNodes(on: eventLoop)
        return counts.and(nodes).map { counts, nodes in
            var info = space.info
            info.listeners = counts[space.id] ?? info.listeners
            let base = NodeLoad.choose(from: nodes)?.url ?? self.nodeURL
            info.listenURL = "\(base)/v1/spaces/\(space.id)/listen"
            info.nodes = nodes.isEmpty ? nil : Array(nodes.map(\.url).sorted().prefix(64))
            return info
        }
    }

    private func list(broker: any Broker, on eventLoop: any EventLoop) -> EventLoopFuture<HTTPAnswer> {
        broker.records(on: eventLoop).flatMap { all in
            // Invite-only Spaces are not advertised.
            let records = all.filter { $0.access == .open }
            return broker.listenerCounts(ids: records.map(\.id), on: eventLoop).map { counts in
                let infos = records.map { record in
                    let local = self.registry.space(id: record.id)
                    return SpaceInfo(
                        id: record.id, title: record.title, state: local?.state == .ended ? .ended : record.state,
                        listeners: counts[record.id] ?? 0, waiting: local?.waiting ?? 0, dropped: local?.droppedBatches ?? 0,
                        capacity: record.capacity, createdAt: WallClock.iso8601(Date(timeIntervalSince1970: Double(record.createdMicros) / 1_000_000)),
                        access: record.access
                    )
                }
                return self.json(.ok, SpaceList(spaces: infos))
            }
        }
    }

    /// This node's own WebSocket base URL, as other nodes hand it out.
    var nodeURL: String {
        var base = self.configuration.cluster.publicURL
        if base.isEmpty { base = self.configuration.server.publicURL }
        if base.isEmpty { base = "\(self.webSocketScheme)://\(self.configuration.server.bind):\(self.boundPort)" }
        return Self.webSocketBase(base)
    }
}
