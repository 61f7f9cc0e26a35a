import AsyncMachine
import Dispatch
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Connects to an ``RPCServer`` and keeps a ``NetMachine``: a local mirror of the remote
/// machine, updated by the server's clock diffs, with mutations forwarded to the server.
///
/// ```swift
/// let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "rc-cli"))
/// let worker = try await client.connect()
/// try await worker.add1("Busy", ["job": 7])       // runs on the server
/// try await worker.mirror.when1("Idle", timeout: .seconds(5))   // waits locally
/// ```
public final class RPCClient: Sendable {
    public struct Configuration: Sendable {
        /// This client's id: what allow-lists and payload destinations match.
        public var id: String
        /// Sent in Hello when the server demands a token.
        public var token: String?
        /// Mirror only these states (and what they require). Empty: all states.
        public var allowedStates: [StateName]
        /// Payloads from the server are added to this machine as `ServerPayload` (Multi),
        /// with args `name`, `data` and `source`.
        public var consumer: Machine?
        /// Time to establish a TCP connection. Default 5 s.
        public var connectTimeout: Duration
        /// Time any request may wait for its reply. Default 3 s.
        public var callTimeout: Duration
        /// Further attempts of `connect()` after the first fails. Default 3.
        public var connectRetries: Int
        /// First pause between attempts, doubled each time up to `maxRetryDelay`.
        public var retryDelay: Duration
        public var maxRetryDelay: Duration
        /// Reconnect after an unplanned disconnect. Default true.
        public var reconnect: Bool
        /// How long to keep trying to reconnect before giving up. Default 60 s.
        public var reconnectFor: Duration
        /// Largest frame accepted or sent. Default 4 MiB.
        public var maximumFrameSize: Int
        public var logger: Logger

        public init(
            id: String, token: String? = nil, allowedStates: [StateName] = [], consumer: Machine? = nil,
            connectTimeout: Duration = .seconds(5), callTimeout: Duration = .seconds(3), connectRetries: Int = 3,
            retryDelay: Duration = .milliseconds(100), maxRetryDelay: Duration = .seconds(5), reconnect: Bool = true,
            reconnectFor: Duration = .seconds(60), maximumFrameSize: Int = 4 << 20,
            logger: Logger = Logger(label: "asyncmachine.rpc.client")
        ) {
            self.id = id
            self.token = token
            self.allowedStates = allowedStates
            self.consumer = consumer
            self.connectTimeout = connectTimeout
            self.callTimeout = callTimeout
            self.connectRetries = connectRetries
            self.retryDelay = retryDelay
            self.maxRetryDelay = maxRetryDelay
            self.reconnect = reconnect
            self.reconnectFor = reconnectFor
            self.maximumFrameSize = maximumFrameSize
            self.logger = logger
        }
    }

    public let host: String
    public let port: Int
    public let configuration: Configuration
    /// The client's own states (``Schema/rpcClient``): Connecting, Connected, Ready, ...
    public let machine: Machine
    /// Frames and bytes of this client's connections.
    public let metrics = RPCMetrics()
    let group: any EventLoopGroup
    private let state = Mutex(State())
    private let payloads = DispatchQueue(label: "asyncmachine.rpc.payloads")

    struct State: Sendable {
        var connection: ClientConnection?
        var net: NetMachine?
        var clock: MirrorClock?
        var syncing = false
        var closed = false
        var reconnecting = false
        /// Fatal refusal from the server (token, allow-list): no reconnecting.
        var refused: RPCError?
        /// Test hook: drop the next one-way clock diff, as if it were lost.
        var dropNextPush = false
    }

    public var id: String { configuration.id }

    public init(host: String, port: Int, configuration: Configuration, group: (any EventLoopGroup)? = nil) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.machine = Machine(.rpcClient, id: configuration.id)
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
    }

    /// The mirror, once connected.
    public var netMachine: NetMachine? { state.withLock { $0.net } }

    /// Connects (retrying with backoff), says Hello and returns the mirror, in sync.
    /// A refused Hello (token, allow-list, version) is not retried.
    public func connect() async throws -> NetMachine {
        machine.add1(.start)
        var delay = configuration.retryDelay
        var attempt = 0
        while true {
            do {
                return try await connectOnce()
            } catch let error as RPCError where error.isRefusal {
                machine.addErrState(.errRpc, error)
                machine.remove1(.start)
                throw error
            } catch {
                attempt += 1
                if attempt > configuration.connectRetries || state.withLock({ $0.closed }) {
                    machine.addErrState(.errNetwork, error)
                    machine.remove1(.start)
                    throw error
                }
                machine.add1(.retryingConn)
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.maxRetryDelay)
            }
        }
    }

    /// Says Bye and closes the connection; no reconnecting after this.
    public func close() async {
        let connection = state.withLock { s -> ClientConnection? in
            s.closed = true
            return s.connection
        }
        if let connection {
            var bye = WireBye()
            bye.reason = "client closing"
            try? await connection.send(.bye(bye)).get()
            try? await connection.channel.close()
        }
        machine.remove1(.start)
    }

    /// Asks the server for the whole clock and applies it.
    public func sync() async throws {
        let reply = try await call(.syncRequest(WireSyncRequest()), what: "Sync")
        guard case .fullClock = reply.body else { throw RPCError.protocolViolation("Sync answered with \(reply.body.debugName)") }
    }

    // MARK: Connecting

    private func connectOnce() async throws -> NetMachine {
        machine.add1(.connecting)
        let maxFrame = configuration.maximumFrameSize
        let metrics = self.metrics
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(configuration.connectTimeout.nanosecondsCount))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        let channel = try await bootstrap.connect(host: host, port: port).get()
        if let local = channel.localAddress, local == channel.remoteAddress {
            // A TCP self-connect (the kernel picked the server's port as our source port
            // while nothing listened): not a server; let the retry pick another port.
            try? await channel.close()
            throw RPCError.notConnected("self-connected to \(host):\(port)")
        }
        let connection = ClientConnection(channel: channel)
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandlers([
                ByteToMessageHandler(FrameDecoder(maximumFrameSize: maxFrame)),
                EnvelopeCodec(maximumFrameSize: maxFrame, metrics: metrics),
                ClientInboundHandler(client: self, connection: connection),
            ])
        }.get()
        state.withLock { $0.connection = connection }
        machine.add1(.connected)

        var hello = WireHello()
        hello.protocolVersion = rpcProtocolVersion
        hello.clientID = configuration.id
        hello.token = configuration.token ?? ""
        hello.schemaFingerprint = state.withLock { $0.net?.mirror.schema.fingerprint } ?? 0
        hello.allowedStates = configuration.allowedStates.map(\.rawValue)
        let reply: WireEnvelope
        do {
            reply = try await connection.call(.hello(hello), timeout: callTimeout, what: "Hello")
        } catch {
            try? await channel.close()
            throw error
        }
        switch reply.body {
        case .welcome?:
            // The mirror was set up when the Welcome arrived (see received(reply:)).
            guard let net = state.withLock({ $0.net }) else {
                try? await channel.close()
                throw RPCError.protocolViolation("the Welcome could not be applied")
            }
            machine.add1(.ready)
            return net
        case .error(let error)?:
            let refusal = RPCError(error)
            state.withLock { s in if refusal.isRefusal { s.refused = refusal } }
            try? await channel.close()
            throw refusal
        default:
            try? await channel.close()
            throw RPCError.protocolViolation("Hello answered with \(reply.body.debugName)")
        }
    }

    private var callTimeout: TimeAmount { .nanoseconds(configuration.callTimeout.nanosecondsCount) }

    func call(_ body: WireEnvelope.OneOf_Body, what: String) async throws -> WireEnvelope {
        guard let connection = state.withLock({ $0.connection }) else {
            throw RPCError.notConnected("\(configuration.id) has no connection")
        }
        return try await connection.call(body, timeout: callTimeout, what: what)
    }

    // MARK: Inbound (on the connection's event loop)

    func received(reply: WireEnvelope, on connection: ClientConnection) {
        switch reply.body {
        case .welcome(let welcome)?:
            do {
                try setUp(welcome)
            } catch {
                configuration.logger.error("[\(id)] bad Welcome: \(error)")
                state.withLock { $0.net = nil }
            }
        case .mutationResult(let result)? where result.hasDiff:
            apply(result.diff)
        case .fullClock(let clock)?:
            apply(clock)
        default:
            break
        }
        connection.resolve(reply)
    }

    func received(oneWay envelope: WireEnvelope, on connection: ClientConnection) {
        switch envelope.body {
        case .clockDiff(let diff)?:
            let drop = state.withLock { s -> Bool in
                defer { s.dropNextPush = false }
                return s.dropNextPush
            }
            if !drop { apply(diff) }
        case .fullClock(let clock)?:
            apply(clock)
        case .payload(let payload)?:
            deliver(payload)
        case .schemaChange(let change)?:
            applySchemaChange(change)
        case .bye(let bye)?:
            configuration.logger.debug("[\(id)] server said bye: \(bye.reason)")
        case .error(let error)?:
            let refusal = RPCError(error)
            configuration.logger.error("[\(id)] server error: \(refusal)")
            state.withLock { s in if refusal.isRefusal { s.refused = refusal } }
            machine.addErrState(.errRpc, refusal)
        default:
            configuration.logger.warning("[\(id)] unexpected \(envelope.body.debugName) from the server")
        }
    }

    private func setUp(_ welcome: WireWelcome) throws {
        let existing = state.withLock { $0.net }
        let net: NetMachine
        if welcome.hasSchema {
            let schema = try Schema(wire: welcome.schema)
            if let existing {
                if existing.mirror.schema.fingerprint != schema.fingerprint { try existing.mirror.setSchema(schema) }
                net = existing
            } else {
                net = NetMachine(mirror: Machine(schema, id: "rnm-\(welcome.sourceID)"), sourceId: welcome.sourceID, client: self)
            }
        } else if let existing {
            net = existing
        } else {
            throw RPCError.protocolViolation("Welcome without a schema for a new mirror")
        }
        guard net.mirror.stateNames.map(\.rawValue) == welcome.stateNames else {
            throw RPCError.protocolViolation("the mirror's states differ from the server's")
        }
        state.withLock { s in
            s.net = net
            s.clock = MirrorClock(welcome.clock)
            s.syncing = false
        }
        net.mirror.applyRemoteClock(welcome.clock.ticks, queueTick: welcome.clock.queueTick)
    }

    private func apply(_ diff: WireClockDiff) {
        enum Step { case apply([UInt64], UInt64, NetMachine), sync, ignore }
        let step = state.withLock { s -> Step in
            guard var clock = s.clock, let net = s.net else { return .ignore }
            if clock.apply(diff) {
                s.clock = clock
                return .apply(clock.ticks, clock.queueTick, net)
            }
            if s.syncing { return .ignore }
            s.syncing = true
            return .sync
        }
        switch step {
        case .apply(let ticks, let queueTick, let net):
            net.mirror.applyRemoteClock(ticks, queueTick: queueTick)
        case .sync:
            configuration.logger.debug("[\(id)] clock diff \(diff.seq) out of sequence: syncing")
            Task { [weak self] in
                do {
                    try await self?.sync()
                } catch {
                    self?.state.withLock { $0.syncing = false }
                }
            }
        case .ignore:
            break
        }
    }

    private func apply(_ full: WireFullClock) {
        let net = state.withLock { s -> NetMachine? in
            guard s.net != nil else { return nil }
            if s.clock == nil { s.clock = MirrorClock(full) } else { s.clock!.reset(full) }
            s.syncing = false
            return s.net
        }
        net?.mirror.applyRemoteClock(full.ticks, queueTick: full.queueTick)
    }

    private func applySchemaChange(_ change: WireSchemaChange) {
        guard let net = state.withLock({ $0.net }) else { return }
        do {
            try net.mirror.setSchema(try Schema(wire: change.schema))
            apply(change.clock)
        } catch {
            configuration.logger.error("[\(id)] schema change refused: \(error)")
            machine.addErrState(.errRpc, error)
        }
    }

    private func deliver(_ payload: WirePayload) {
        guard let consumer = configuration.consumer else {
            configuration.logger.warning("[\(id)] payload \(payload.name) dropped: no consumer")
            return
        }
        var fields: Args = ["name": .string(payload.name), "data": ArgValue(wire: payload.data)]
        if !payload.sourceMachine.isEmpty { fields["source"] = .string(payload.sourceMachine) }
        let machine = self.machine
        let args = fields
        payloads.async {
            machine.add1(.serverPayload, args)
            if case .failed = consumer.add1(.serverPayload, args) {
                machine.addErrState(.errRpc, RPCError.unknownState("consumer \(consumer.id) has no ServerPayload"))
            }
        }
    }

    // MARK: Disconnects

    func connectionLost(_ connection: ClientConnection) {
        let (current, reconnect) = state.withLock { s -> (Bool, Bool) in
            guard s.connection === connection else { return (false, false) }
            s.connection = nil
            let reconnect = configuration.reconnect && !s.closed && s.refused == nil && s.net != nil && !s.reconnecting
            if reconnect { s.reconnecting = true }
            return (true, reconnect)
        }
        connection.closed(.connectionClosed("the connection to \(host):\(port) closed"))
        guard current else { return }
        machine.add1(.disconnected)
        if reconnect { Task { await self.reconnectLoop() } }
    }

    private func reconnectLoop() async {
        defer { state.withLock { $0.reconnecting = false } }
        let deadline = ContinuousClock.now + configuration.reconnectFor
        var delay = configuration.retryDelay
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.closed || $0.refused != nil }) { return }
            machine.add1(.retryingConn)
            try? await Task.sleep(for: delay)
            do {
                _ = try await connectOnce()
                configuration.logger.info("[\(id)] reconnected to \(host):\(port)")
                return
            } catch {
                delay = min(delay * 2, configuration.maxRetryDelay)
            }
        }
        configuration.logger.error("[\(id)] gave up reconnecting to \(host):\(port)")
        machine.addErrState(.errNetwork, RPCError.notConnected("gave up reconnecting"))
        machine.remove1(.start)
    }

    /// Test hook: the next one-way clock diff is dropped, as if lost on the way.
    package func dropNextPushForTesting() { state.withLock { $0.dropNextPush = true } }
}

extension RPCError {
    /// A refusal the server will repeat: retrying cannot help.
    var isRefusal: Bool {
        switch self {
        case .unauthorized, .forbidden, .versionMismatch: true
        default: false
        }
    }
}

extension Optional where Wrapped == WireEnvelope.OneOf_Body {
    var debugName: String {
        switch self {
        case nil: "an empty envelope"
        case .hello?: "Hello"
        case .welcome?: "Welcome"
        case .mutation?: "Mutation"
        case .mutationResult?: "MutationResult"
        case .clockDiff?: "ClockDiff"
        case .syncRequest?: "SyncRequest"
        case .fullClock?: "FullClock"
        case .payload?: "Payload"
        case .schemaChange?: "SchemaChange"
        case .bye?: "Bye"
        case .error(let e)?: "Error(\(e.message))"
        }
    }
}
