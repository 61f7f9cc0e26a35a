import NIOCore
import Synchronization

/// One TCP connection of a client: numbered requests waiting for their replies, each
/// with a timeout, and the channel to write them on.
final class ClientConnection: Sendable {
    let channel: any Channel

    private struct Pending: Sendable {
        let continuation: CheckedContinuation<WireEnvelope, any Error>
        var timer: Scheduled<Void>?
    }

    private struct State: Sendable {
        var pending: [UInt64: Pending] = [:]
        var closedWith: RPCError?
    }

    private let state = Mutex(State())
    private let nextId = Atomic<UInt64>(0)

    init(channel: any Channel) { self.channel = channel }

    /// Sends a request and waits for its reply, or throws after `timeout`, or when the
    /// connection closes first.
    func call(_ body: WireEnvelope.OneOf_Body, timeout: TimeAmount, what: String) async throws -> WireEnvelope {
        let id = nextId.wrappingAdd(1, ordering: .relaxed).newValue
        return try await withCheckedThrowingContinuation { continuation in
            let refusal = state.withLock { s -> RPCError? in
                if let closed = s.closedWith { return closed }
                s.pending[id] = Pending(continuation: continuation, timer: nil)
                return nil
            }
            if let refusal { return continuation.resume(throwing: refusal) }
            let timer: Scheduled<Void> = channel.eventLoop.scheduleTask(in: timeout) { [weak self] in
                guard let self else { return }
                self.fail(id, RPCError.timeout("\(what) got no reply within \(timeout.nanoseconds / 1_000_000) ms"))
            }
            state.withLock { s in
                if s.pending[id] != nil { s.pending[id]?.timer = timer } else { timer.cancel() }
            }
            var envelope = WireEnvelope()
            envelope.id = id
            envelope.body = body
            channel.writeAndFlush(envelope).whenFailure { [weak self] error in self?.fail(id, error) }
        }
    }

    /// Sends a one-way message.
    func send(_ body: WireEnvelope.OneOf_Body) -> EventLoopFuture<Void> {
        var envelope = WireEnvelope()
        envelope.body = body
        return channel.writeAndFlush(envelope)
    }

    /// Hands a reply to its caller; false when nobody waits for it (late or unknown).
    @discardableResult
    func resolve(_ reply: WireEnvelope) -> Bool {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: reply.replyTo) }) else { return false }
        pending.timer?.cancel()
        pending.continuation.resume(returning: reply)
        return true
    }

    private func fail(_ id: UInt64, _ error: any Error) {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
        pending.timer?.cancel()
        pending.continuation.resume(throwing: error)
    }

    /// Fails every waiting call and refuses new ones.
    func closed(_ error: RPCError) {
        let all = state.withLock { s -> [Pending] in
            if s.closedWith == nil { s.closedWith = error }
            defer { s.pending = [:] }
            return Array(s.pending.values)
        }
        for pending in all {
            pending.timer?.cancel()
            pending.continuation.resume(throwing: error)
        }
    }
}

/// Routes a client connection's inbound envelopes to its client; confined to the event loop.
final class ClientInboundHandler: ChannelInboundHandler {
    typealias InboundIn = WireEnvelope

    private weak var client: RPCClient?
    private let connection: ClientConnection

    init(client: RPCClient, connection: ClientConnection) {
        self.client = client
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard let client else { return }
        if envelope.replyTo != 0 {
            client.received(reply: envelope, on: connection)
        } else {
            client.received(oneWay: envelope, on: connection)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        client?.connectionLost(connection)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        client?.configuration.logger.error("[\(client?.id ?? "rpc-client")] closing the connection: \(error)")
        context.close(promise: nil)
    }
}
