import AsyncMachine
import Dispatch
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Exposes a source machine over TCP: every connection gets its own session with its
/// own mirror state, so this is also the Mux of asyncmachine-go (one listener, a server
/// per connection). `Configuration.maxClients = 1` gives Go's single-client server.
///
/// ```swift
/// let server = RPCServer(source: worker, configuration: .init(port: 0))
/// try await server.start()          // server.port is the bound port
/// ```
public final class RPCServer: Sendable {
    public struct Configuration: Sendable {
        /// Address to listen on. Default 127.0.0.1.
        public var host: String
        /// Port to listen on; 0 picks a free one (read it from ``RPCServer/port``).
        public var port: Int
        /// The server's id (its machine's id). Default `rs-<source id>`.
        public var id: String?
        /// When set, Hello must carry this token (operator connections).
        public var token: String?
        /// When set, only these client ids may connect (changeable at run time with
        /// ``RPCServer/allow(_:)`` and friends).
        public var allowedClients: Set<String>?
        /// Most concurrent clients; further Hellos are refused with UNAVAILABLE. nil: no limit.
        public var maxClients: Int?
        /// Largest frame accepted or sent. Default 4 MiB.
        public var maximumFrameSize: Int
        /// Clock pushes to a client are at most this often; the first change after a
        /// quiet spell goes out at once and the last change always goes out. Default 20 ms.
        public var pushInterval: Duration
        public var logger: Logger

        public init(
            host: String = "127.0.0.1", port: Int = 0, id: String? = nil, token: String? = nil,
            allowedClients: Set<String>? = nil, maxClients: Int? = nil, maximumFrameSize: Int = 4 << 20,
            pushInterval: Duration = .milliseconds(20), logger: Logger = Logger(label: "asyncmachine.rpc.server")
        ) {
            self.host = host
            self.port = port
            self.id = id
            self.token = token
            self.allowedClients = allowedClients
            self.maxClients = maxClients
            self.maximumFrameSize = maximumFrameSize
            self.pushInterval = pushInterval
            self.logger = logger
        }
    }

    public let id: String
    /// The machine this server exposes.
    public let source: Machine
    /// The server's own states (``Schema/rpcServer``): RpcReady, ClientConnected, HasClients...
    public let machine: Machine
    public let configuration: Configuration
    /// Frames and bytes of every connection this server served.
    public let metrics = RPCMetrics()
    let group: any EventLoopGroup
    let state: Mutex<State>
    private let tracer: SourceTracer

    struct State: Sendable {
        var listener: (any Channel)?
        var sessions: [ObjectIdentifier: SessionHandle] = [:]
        var allowedClients: Set<String>?
        var stopped = false
    }

    public init(source: Machine, configuration: Configuration = Configuration(), group: (any EventLoopGroup)? = nil) {
        self.source = source
        self.configuration = configuration
        self.id = configuration.id ?? "rs-\(source.id)"
        self.machine = Machine(.rpcServer, id: id)
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
        self.state = Mutex(State(allowedClients: configuration.allowedClients))
        self.tracer = SourceTracer()
    }

    /// The bound port (after ``start()``).
    public var port: Int? { state.withLock { $0.listener?.localAddress?.port } }

    /// Binds and starts accepting clients.
    public func start() async throws {
        tracer.server.withLock { $0 = WeakServer(self) }
        source.attach(tracer)
        machine.add1(.start)
        let maxFrame = configuration.maximumFrameSize
        let metrics = self.metrics
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                guard let self else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let session = RPCServerSession(server: self, channel: channel)
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder(maximumFrameSize: maxFrame)),
                        EnvelopeCodec(maximumFrameSize: maxFrame, metrics: metrics),
                        session,
                    ])
                }
            }
        do {
            let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            state.withLock { $0.listener = channel }
            machine.add1(.rpcReady, ["addr": .string("\(configuration.host):\(channel.localAddress?.port ?? 0)")])
        } catch {
            source.detach(tracer)
            machine.addErrState(.errNetwork, error)
            throw error
        }
    }

    /// Says Bye to every client, closes their connections and the listener. Idempotent.
    public func stop() async {
        let (listener, sessions) = state.withLock { s -> ((any Channel)?, [SessionHandle]) in
            s.stopped = true
            defer {
                s.listener = nil
                s.sessions = [:]
            }
            return (s.listener, Array(s.sessions.values))
        }
        source.detach(tracer)
        for session in sessions { session.close(bye: "server stopping") }
        try? await listener?.close()
        for session in sessions { try? await session.channel.closeFuture.get() }
        machine.remove1(.start)
    }

    // MARK: Allow-list

    /// Lets `clientId` connect (from now on; with no allow-list set, everyone may).
    public func allow(_ clientId: String) {
        state.withLock { s in s.allowedClients = (s.allowedClients ?? []).union([clientId]) }
    }

    /// Removes `clientId` from the allow-list and closes its connection if it has one.
    public func disallow(_ clientId: String) {
        let sessions = state.withLock { s -> [SessionHandle] in
            s.allowedClients = (s.allowedClients ?? []).subtracting([clientId])
            return s.sessions.values.filter { $0.clientId == clientId }
        }
        for session in sessions { session.close(bye: "no longer allowed") }
    }

    /// Replaces the allow-list (nil: everyone may connect). Connected clients stay.
    public func setAllowedClients(_ clients: Set<String>?) {
        state.withLock { $0.allowedClients = clients }
    }

    /// Ids of the clients connected now (Hello done).
    public var clients: [String] {
        state.withLock { $0.sessions.values.compactMap(\.clientId) }.sorted()
    }

    // MARK: Payloads

    /// Sends a payload to the client `clientId`, or to every client when nil. Returns how
    /// many clients it was written to; throws when `clientId` is not connected.
    @discardableResult
    public func sendPayload(
        _ name: String, _ data: ArgValue, to clientId: String? = nil, source: MutationSource? = nil
    ) async throws -> Int {
        let targets = state.withLock { s in
            s.sessions.values.filter { $0.clientId != nil && (clientId == nil || $0.clientId == clientId) }
        }
        if let clientId, targets.isEmpty { throw RPCError.notConnected("client \(clientId) is not connected") }
        var payload = WirePayload()
        payload.name = name
        payload.destination = clientId ?? ""
        payload.data = data.wire
        if let source {
            payload.sourceMachine = source.machineId
            payload.sourceTransition = source.transitionId
        }
        var envelope = WireEnvelope()
        envelope.body = .payload(payload)
        var sent = 0
        for session in targets {
            do {
                try await session.channel.writeAndFlush(envelope)
                sent += 1
            } catch where clientId == nil {
                continue  // a client leaving during a broadcast is not the caller's error
            }
        }
        return sent
    }

    /// Writes a payload to every connected client without waiting: payloads written by
    /// successive calls go out in call order on every connection. Returns how many
    /// clients it was written to.
    @discardableResult
    public func broadcastPayload(_ name: String, _ data: ArgValue) -> Int {
        let targets = state.withLock { s in s.sessions.values.filter { $0.clientId != nil } }
        var payload = WirePayload()
        payload.name = name
        payload.data = data.wire
        var envelope = WireEnvelope()
        envelope.body = .payload(payload)
        for session in targets { session.channel.writeAndFlush(envelope, promise: nil) }
        return targets.count
    }

    // MARK: Sessions (called by RPCServerSession)

    /// Admits a client after its Hello, or says why not.
    func admit(_ session: SessionHandle, clientId: String, token: String) -> WireError? {
        if let expected = configuration.token, expected != token {
            return WireError(.unauthorized, "wrong token for client \(clientId)")
        }
        let refusal = state.withLock { s -> WireError? in
            if s.stopped { return WireError(.unavailable, "server stopping") }
            if let allowed = s.allowedClients, !allowed.contains(clientId) {
                return WireError(.forbidden, "client \(clientId) is not allowed")
            }
            let connected = s.sessions.values.filter { $0.clientId != nil }.count
            if let max = configuration.maxClients, connected >= max {
                return WireError(.unavailable, "server full (\(max) clients)")
            }
            session.clientId = clientId
            s.sessions[ObjectIdentifier(session)] = session
            return nil
        }
        if refusal == nil {
            machine.add([.clientConnected, .hasClients], ["client": .string(clientId)])
        }
        return refusal
    }

    func sessionClosed(_ session: SessionHandle) {
        let (clientId, remaining) = state.withLock { s -> (String?, Int) in
            s.sessions[ObjectIdentifier(session)] = nil
            return (session.clientId, s.sessions.count)
        }
        guard let clientId else { return }
        machine.add1(.clientDisconnected, ["client": .string(clientId)])
        if remaining == 0 { machine.remove1(.hasClients) }
    }

    func sourceChanged() {
        for session in state.withLock({ Array($0.sessions.values) }) { session.markDirty() }
    }

    func sourceSchemaChanged() {
        for session in state.withLock({ Array($0.sessions.values) }) { session.schemaChanged() }
    }
}

/// Tells the server's sessions about source transitions; holds the server weakly so a
/// forgotten server does not live on through its source.
final class SourceTracer: Tracer {
    let server = Mutex<WeakServer>(WeakServer(nil))

    func transitionEnd(_ transition: Transition) { server.withLock { $0.value }?.sourceChanged() }
    /// The queue tick of the last processed mutation moves after its transition ended;
    /// the end of the drain is when the final one is known, so push then too.
    func queueEnd(_ machine: Machine) { server.withLock { $0.value }?.sourceChanged() }
    func schemaChanged(_ machine: Machine, from old: Schema) { server.withLock { $0.value }?.sourceSchemaChanged() }
}

struct WeakServer: Sendable {
    weak var value: RPCServer?
    init(_ value: RPCServer?) { self.value = value }
}
