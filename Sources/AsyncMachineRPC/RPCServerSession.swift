import AsyncMachine
import Dispatch
import Logging
import NIOCore
import Synchronization

/// The thread-safe face of a session: what the server and the source's tracer may touch
/// from any thread.
final class SessionHandle: Sendable {
    let channel: any Channel
    private let client = Mutex<String?>(nil)
    /// Set when the source changed since the last push was scheduled; one event-loop hop
    /// per burst of transitions, however many there are.
    let dirty = Atomic<Bool>(false)
    let session: Mutex<NIOLoopBound<RPCServerSession>?> = Mutex(nil)

    init(channel: any Channel) { self.channel = channel }

    var clientId: String? {
        get { client.withLock { $0 } }
        set { client.withLock { $0 = newValue } }
    }

    func markDirty() {
        guard !dirty.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard let bound = session.withLock({ $0 }) else { return }
        channel.eventLoop.execute { bound.value.pushSoon() }
    }

    func schemaChanged() {
        guard let bound = session.withLock({ $0 }) else { return }
        channel.eventLoop.execute { bound.value.sendSchemaChange() }
    }

    func close(bye reason: String) {
        guard let bound = session.withLock({ $0 }) else {
            channel.close(promise: nil)
            return
        }
        channel.eventLoop.execute { bound.value.closeWithBye(reason) }
    }
}

/// One client's session: Hello, then mutations, syncs and clock pushes. Confined to its
/// channel's event loop; mutations of the source run on the session's own serial queue,
/// so a slow handler never blocks reading from the socket.
final class RPCServerSession: ChannelInboundHandler {
    typealias InboundIn = WireEnvelope
    typealias OutboundOut = WireEnvelope

    private weak var server: RPCServer?
    let handle: SessionHandle
    private let source: Machine
    private let logger: Logger
    private let pushInterval: TimeAmount
    private let mutations: DispatchQueue
    private var context: ChannelHandlerContext?
    private var baseline: ClockBaseline?
    private var lastPush = NIODeadline.distantPast
    private var pushScheduled = false
    private var closing = false
    /// Mutations of this client being run: their replies will carry the clock, so pushes
    /// wait (one frame per forwarded mutation, not two).
    private var mutationsInFlight = 0

    init(server: RPCServer, channel: any Channel) {
        self.server = server
        self.handle = SessionHandle(channel: channel)
        self.source = server.source
        self.logger = server.configuration.logger
        self.pushInterval = .nanoseconds(server.configuration.pushInterval.nanosecondsCount)
        self.mutations = DispatchQueue(label: "asyncmachine.rpc.session")
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        handle.session.withLock { $0 = NIOLoopBound(self, eventLoop: context.eventLoop) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handle.session.withLock { $0 = nil }
        server?.sessionClosed(handle)
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let code: WireErrorCode
        if case RPCError.frameTooLarge = error { code = .frameTooLarge } else { code = .badRequest }
        logger.error("[\(server?.id ?? "rpc")] closing connection of \(handle.clientId ?? "unidentified client"): \(error)")
        fail(WireError(code, "\(error)"), replyTo: 0)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        switch envelope.body {
        case .hello(let hello)?:
            onHello(hello, id: envelope.id)
        case .mutation(let mutation)? where baseline != nil:
            onMutation(mutation, id: envelope.id)
        case .syncRequest? where baseline != nil:
            // The reply is the client's new baseline.
            send(.fullClock(fullClock()), replyTo: envelope.id)
        case .bye?:
            logger.debug("[\(server?.id ?? "rpc")] \(handle.clientId ?? "client") said bye")
            closing = true
            context.close(promise: nil)
        case .error(let error)?:
            logger.warning("[\(server?.id ?? "rpc")] client \(handle.clientId ?? "?") reported: \(error.message)")
        default:
            fail(WireError(.badRequest, baseline == nil ? "Hello first" : "unexpected message"), replyTo: envelope.id)
        }
    }

    // MARK: Hello

    private func onHello(_ hello: WireHello, id: UInt64) {
        guard let server, baseline == nil else {
            return fail(WireError(.badRequest, "Hello was already received"), replyTo: id)
        }
        guard hello.protocolVersion == rpcProtocolVersion else {
            return fail(WireError(.version, "server speaks version \(rpcProtocolVersion)"), replyTo: id)
        }
        guard !hello.clientID.isEmpty else { return fail(WireError(.badRequest, "empty client id"), replyTo: id) }
        let schema = source.schema
        var tracked: [Int]? = nil
        if !hello.allowedStates.isEmpty {
            do {
                tracked = try schema.requireClosure(of: hello.allowedStates.map { StateName(rawValue: $0) })
            } catch {
                return fail(WireError(.unknownState, "\(error)"), replyTo: id)
            }
        }
        if let refusal = server.admit(handle, clientId: hello.clientID, token: hello.token) {
            logger.warning("[\(server.id)] refused \(hello.clientID): \(refusal.message)")
            return fail(refusal, replyTo: id)
        }
        let snapshot = source.export()
        var baseline = ClockBaseline(ticks: snapshot.ticks, queueTick: snapshot.queueTick, tracked: tracked)
        var welcome = WireWelcome()
        welcome.serverID = server.id
        welcome.sourceID = source.id
        welcome.stateNames = snapshot.stateNames.map(\.rawValue)
        let fingerprint = schema.fingerprint
        welcome.schemaFingerprint = fingerprint
        if hello.schemaFingerprint != fingerprint { welcome.schema = schema.wire }
        welcome.clock = baseline.full(ticks: snapshot.ticks, queueTick: snapshot.queueTick)
        welcome.tracked = tracked?.map(UInt32.init) ?? []
        self.baseline = baseline
        send(.welcome(welcome), replyTo: id)
        // Anything that changed while the Welcome was built goes out as a push.
        handle.markDirty()
    }

    // MARK: Mutations

    private func onMutation(_ mutation: WireMutation, id: UInt64) {
        let names = source.stateNames
        var called: [StateName] = []
        for index in mutation.states {
            guard Int(index) < names.count else {
                return fail(WireError(.unknownState, "state index \(index) of \(names.count)"), replyTo: id, close: false)
            }
            called.append(names[Int(index)])
        }
        let type: MutationType
        do {
            type = try MutationType(wire: mutation.type)
        } catch {
            return fail(WireError(.badRequest, "\(error)"), replyTo: id, close: false)
        }
        let args = Args(wire: mutation.args)
        let origin = mutation.sourceMachine.isEmpty
            ? nil : MutationSource(machineId: mutation.sourceMachine, transitionId: mutation.sourceTransition, machineTime: 0)
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let source = self.source
        let states = called
        mutationsInFlight += 1
        mutations.async {
            let result: MutationResult
            switch type {
            case .add: result = source.add(states, args, source: origin)
            case .remove: result = source.remove(states, args, source: origin)
            case .set: result = source.set(states, args, source: origin)
            }
            bound.eventLoop.execute { bound.value.replyToMutation(result, id: id) }
        }
    }

    private func replyToMutation(_ result: MutationResult, id: UInt64) {
        mutationsInFlight -= 1
        guard baseline != nil, !closing else { return }
        var reply = WireMutationResult()
        result.wire(into: &reply)
        let snapshot = source.export()
        switch baseline!.change(to: snapshot.ticks, queueTick: snapshot.queueTick) {
        case .none: break
        case .diff(let diff): reply.diff = diff
        case .full(let clock): send(.fullClock(clock), replyTo: 0, flush: false)
        }
        send(.mutationResult(reply), replyTo: id)
    }

    // MARK: Pushes

    /// Pushes the clock now, or at the end of the current push interval.
    func pushSoon() {
        guard let context, baseline != nil, !pushScheduled, !closing else { return }
        if mutationsInFlight > 0 {
            // The reply computes its diff after the mutation, so it covers this change.
            handle.dirty.store(false, ordering: .releasing)
            return
        }
        let now = NIODeadline.now()
        let due = lastPush + pushInterval
        if now >= due {
            pushNow()
            return
        }
        pushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(deadline: due) {
            bound.value.pushScheduled = false
            bound.value.pushNow()
        }
    }

    private func pushNow() {
        guard baseline != nil, !closing else { return }
        handle.dirty.store(false, ordering: .releasing)
        if mutationsInFlight > 0 { return }  // the reply will carry it
        lastPush = .now()
        let snapshot = source.export()
        switch baseline!.change(to: snapshot.ticks, queueTick: snapshot.queueTick) {
        case .none: break
        case .diff(let diff): send(.clockDiff(diff), replyTo: 0)
        case .full(let clock): send(.fullClock(clock), replyTo: 0)
        }
    }

    private func fullClock() -> WireFullClock {
        let snapshot = source.export()
        return baseline!.full(ticks: snapshot.ticks, queueTick: snapshot.queueTick)
    }

    func sendSchemaChange() {
        guard let old = baseline, !closing else { return }
        let schema = source.schema
        let snapshot = source.export()
        var fresh = ClockBaseline(ticks: snapshot.ticks, queueTick: snapshot.queueTick, tracked: old.tracked)
        var change = WireSchemaChange()
        change.stateNames = snapshot.stateNames.map(\.rawValue)
        change.schema = schema.wire
        change.schemaFingerprint = schema.fingerprint
        // Keep counting from the old sequence so the client sees no gap.
        for _ in 0..<old.seq { _ = fresh.full(ticks: snapshot.ticks, queueTick: snapshot.queueTick) }
        change.clock = fresh.full(ticks: snapshot.ticks, queueTick: snapshot.queueTick)
        change.tracked = old.tracked?.map(UInt32.init) ?? []
        baseline = fresh
        send(.schemaChange(change), replyTo: 0)
    }

    // MARK: Writing

    private func send(_ body: WireEnvelope.OneOf_Body, replyTo: UInt64, flush: Bool = true) {
        guard let context else { return }
        var envelope = WireEnvelope()
        envelope.replyTo = replyTo
        envelope.body = body
        if flush {
            context.writeAndFlush(Self.wrapOutboundOut(envelope), promise: nil)
        } else {
            context.write(Self.wrapOutboundOut(envelope), promise: nil)
        }
    }

    /// Answers with an Error; closes the connection unless told otherwise.
    private func fail(_ error: WireError, replyTo: UInt64, close: Bool = true) {
        send(.error(error), replyTo: replyTo)
        if close, let context {
            closing = true
            context.close(promise: nil)
        }
    }

    func closeWithBye(_ reason: String) {
        guard let context, !closing else { return }
        var bye = WireBye()
        bye.reason = reason
        send(.bye(bye), replyTo: 0)
        closing = true
        context.close(promise: nil)
    }
}
