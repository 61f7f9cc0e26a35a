import AsyncMachine
import AsyncMachineRPC
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import CProcessSupport

/// A worker process's runtime: serves its machine on a local server (for its supervisor)
/// and a public server (for the one client the supervisor assigns), reports both
/// addresses to the supervisor's bootstrap, and ends when the supervisor goes away.
public final class Worker: Sendable {
    public struct Configuration: Sendable {
        /// Worker kind (the supervisor's `kind`).
        public var kind: String
        /// This worker's id; default `nw-<kind>-<pid>`.
        public var id: String?
        /// Host the public server listens on. Default 127.0.0.1.
        public var publicHost: String
        /// Time to report to the bootstrap. Default 5 s (the seed's ConnTimeout).
        public var connTimeout: Duration
        public var logger: Logger

        public init(
            kind: String, id: String? = nil, publicHost: String = "127.0.0.1", connTimeout: Duration = .seconds(5),
            logger: Logger = Logger(label: "asyncmachine.node.worker")
        ) {
            self.kind = kind
            self.id = id
            self.publicHost = publicHost
            self.connTimeout = connTimeout
            self.logger = logger
        }
    }

    public let id: String
    public let machine: Machine
    public let configuration: Configuration
    let localServer: RPCServer
    let publicServer: RPCServer
    /// The process that started this worker (its supervisor), read when the worker was
    /// made: a parent that dies later changes getppid() to another process.
    private let parentPid: Int32

    /// `schema` must include ``Schema/worker`` (merge the application's states on top).
    public init(schema: Schema, configuration: Configuration) throws(NodeError) {
        guard schema.has(Schema.worker.names) else {
            throw .invalidSchema("the worker schema must include every state of Schema.worker")
        }
        self.configuration = configuration
        // The supervisor names itself in the environment: the parent may already be dead
        // (and getppid() another process) by the time this code runs.
        self.parentPid = getenv(Worker.supervisorPidVariable).flatMap { Int32(String(cString: $0)) } ?? cps_parent_pid()
        self.id = configuration.id ?? "nw-\(configuration.kind)-\(getpid())"
        self.machine = Machine(schema, id: id, configuration: .init(logger: configuration.logger))
        self.localServer = RPCServer(source: machine, configuration: .init(host: "127.0.0.1", port: 0, id: "rs-\(id)-loc", maxClients: 1))
        // Nobody may use the public server until the supervisor says who (ServeClient).
        self.publicServer = RPCServer(
            source: machine,
            configuration: .init(host: configuration.publicHost, port: 0, id: "rs-\(id)-pub", allowedClients: [], maxClients: 1))
        bindHandlers()
    }

    private func bindHandlers() {
        let publicServer = self.publicServer
        machine.onState(.serveClient) { event in
            guard let client = try? event.args.string("id") else { return }
            // The newly assigned client replaces the previous one.
            publicServer.setAllowedClients([client])
        }
        machine.onState(.clientSendPayload) { event in
            let name = (try? event.args.string("name")) ?? "payload"
            let data = event.args["data"] ?? .null
            let source = event.source
            Task { try? await publicServer.sendPayload(name, data, source: source) }
        }
        machine.onState(.healthcheck) { event in event.machine.remove1(.healthcheck) }
        Pipes.bind(localServer.machine, .hasClients, to: machine, .superConnected, initial: false)
        Pipes.bind(publicServer.machine, .hasClients, to: machine, .clientConnected, initial: false)
    }

    /// Starts both servers and reports their addresses to the bootstrap at `bootstrap`
    /// (`host:port`, from the `-a` argument).
    public func start(bootstrap: String) async throws {
        guard let (host, port) = NodeAddress.parse(bootstrap) else { throw NodeError.invalidAddress(bootstrap) }
        // First thing: die with the supervisor (Linux). The signal only fires for a parent
        // that dies after it is set, so check it has not died already.
        _ = cps_set_parent_death_signal(SIGTERM)
        guard !supervisorGone else { throw NodeError.workerExited("the supervisor is gone") }
        machine.add1(.start)
        try await localServer.start()
        machine.add1(.localRpcReady)
        try await publicServer.start()
        machine.add1(.publicRpcReady)  // RpcReady follows (Auto)
        machine.add1(.ready)
        let boot = RPCClient(
            host: host, port: port,
            configuration: .init(id: "rc-\(id)-boot", connectTimeout: configuration.connTimeout, callTimeout: configuration.connTimeout, reconnect: false))
        let net = try await boot.connect()
        let report = NodeArgs(
            id: id, localAddr: "127.0.0.1:\(localServer.port ?? 0)",
            publicAddr: "\(configuration.publicHost):\(publicServer.port ?? 0)", pid: Int(getpid()))
        let result = try await net.add1(.workerAddr, report.args)
        await boot.close()
        guard result == .executed else { throw NodeError.bootstrapRefused("\(result)") }
    }

    /// Runs until the supervisor is gone: its connection to the local server ended, or
    /// (Linux) this process's parent died. Call after ``start(bootstrap:)``.
    public func run() async {
        if supervisorGone { return await stop() }
        do {
            try await machine.when1(.superConnected, timeout: configuration.connTimeout * 2)
            try await machine.whenNot1(.superConnected)
        } catch {
            configuration.logger.warning("[\(id)] supervisor never connected: \(error)")
        }
        await stop()
    }

    /// The environment variable in which a supervisor passes its pid to its workers.
    public static let supervisorPidVariable = "AM_NODE_SUPERVISOR_PID"

    /// True when the process that started this worker has died (it was re-parented).
    var supervisorGone: Bool { cps_parent_pid() != parentPid }

    /// Stops both servers and the machine.
    public func stop() async {
        await publicServer.stop()
        await localServer.stop()
        machine.remove1(.start)
    }
}

/// Errors of the node layer.
public enum NodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSchema(String)
    case invalidAddress(String)
    case bootstrapRefused(String)
    case bootstrapTimeout(String)
    case workerExited(String)
    case noWorkersAvailable
    case tooManyWorkers(Int)
    case notStarted
    /// The supervisor refused, with its reason.
    case refused(String)

    public var description: String {
        switch self {
        case .invalidSchema(let why): "invalid schema: \(why)"
        case .invalidAddress(let address): "invalid address \(address): expected host:port"
        case .bootstrapRefused(let why): "the bootstrap refused the worker: \(why)"
        case .bootstrapTimeout(let why): "the worker did not report in time: \(why)"
        case .workerExited(let why): "the worker exited: \(why)"
        case .noWorkersAvailable: "no idle worker is available"
        case .tooManyWorkers(let max): "the client already has its maximum of \(max) workers"
        case .notStarted: "not started"
        case .refused(let why): why
        }
    }
}

/// `host:port` strings.
public enum NodeAddress {
    public static func parse(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        let host = String(text[..<colon])
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}
