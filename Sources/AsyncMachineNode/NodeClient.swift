import AsyncMachine
import Foundation
import AsyncMachineRPC
import Logging
import Synchronization

/// A node client (the seed's Client): connects to the first reachable supervisor of a
/// list, asks it for a worker, connects to that worker directly, sends it work and
/// receives its payloads. Leaving the worker (``releaseWorker()``, ``stop()``) gives it
/// back to the pool.
public final class NodeClient: Sendable {
    public struct Configuration: Sendable {
        /// The client's name; its ids are ``superClientId`` and ``workerClientId``.
        public var name: String
        /// Supervisors' public addresses (`host:port`), tried in order.
        public var supervisors: [String]
        /// Time to connect, and to get a worker (the seed's ConnTimeout). Default 5 s.
        public var connTimeout: Duration
        public var logger: Logger

        public init(name: String, supervisors: [String], connTimeout: Duration = .seconds(5),
                    logger: Logger = NodeClient.defaultLogger()) {
            self.name = name
            self.supervisors = supervisors
            self.connTimeout = connTimeout
            self.logger = logger
        }
    }

    public let configuration: Configuration
    /// The client's states (``Schema/nodeClient``); payloads from the supervisor and the
    /// worker arrive here as ServerPayload.
    public let machine: Machine
    private let links = Mutex<(supervisor: RPCClient?, worker: RPCClient?, address: String?)>((nil, nil, nil))
    private let inbox = PayloadInbox()

    /// The environment variable that turns on the client's debug log (EnvAmNodeLogClient).
    public static let logVariable = "AM_NODE_LOG_CLIENT"

    /// A logger at debug level when `AM_NODE_LOG_CLIENT` is set, else at info.
    public static func defaultLogger() -> Logger {
        var logger = Logger(label: "asyncmachine.node.client")
        logger.logLevel = ProcessInfo.processInfo.environment[logVariable] != nil ? .debug : .info
        return logger
    }

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.machine = Machine(.nodeClient, id: "nc-\(configuration.name)", configuration: .init(logger: configuration.logger))
        let inbox = self.inbox
        machine.onState(.serverPayload) { event in inbox.add(event.args) }
    }

    /// This client's id on the supervisor (the seed's GetSuperClientId).
    public var superClientId: String { NodeIds.superClient(configuration.name) }
    /// This client's id on its worker (the seed's GetWorkerClientId).
    public var workerClientId: String { NodeIds.workerClient(configuration.name) }

    /// The supervisor it is connected to (`host:port`).
    public var supervisorAddress: String? { links.withLock { $0.address } }

    /// Connects to the first supervisor of the list that answers.
    public func start() async throws {
        machine.add1(.start)
        var lastError: (any Error)?
        for address in configuration.supervisors {
            guard let (host, port) = NodeAddress.parse(address) else {
                lastError = NodeError.invalidAddress(address)
                continue
            }
            let client = RPCClient(
                host: host, port: port,
                configuration: .init(id: superClientId, consumer: machine, connectTimeout: configuration.connTimeout,
                                     connectRetries: 0, logger: configuration.logger))
            do {
                _ = try await client.connect()
                links.withLock { $0 = (client, $0.worker, address) }
                Pipes.bind(client.machine, .ready, to: machine, .superReady)
                return
            } catch {
                lastError = error
                configuration.logger.info("[\(superClientId)] supervisor \(address) unreachable: \(error)")
            }
        }
        machine.addErrState(.errSupervisor, lastError ?? NodeError.notStarted)
        throw lastError ?? NodeError.notStarted
    }

    /// Asks the supervisor for a worker and connects to it (the seed's ReqWorker).
    /// Throws ``NodeError`` with the supervisor's reason when it has none to give.
    public func requestWorker() async throws -> NetMachine {
        guard let supervisor = links.withLock({ $0.supervisor }), let net = supervisor.netMachine else {
            throw NodeError.notStarted
        }
        machine.add1(.workerRequested)
        let mark = inbox.mark()
        let result = try await net.add1(.provideWorker, NodeArgs(superRpcId: superClientId, workerRpcId: workerClientId).args)
        let payload = try await inbox.next(
            named: [Supervisor.Payloads.provideWorker, Supervisor.Payloads.provideWorkerRefused], after: mark,
            timeout: result == .executed ? configuration.connTimeout : .seconds(1))
        guard let payload, try payload.string("name") == Supervisor.Payloads.provideWorker,
            case .map(let data)? = payload["data"], case .string(let address)? = data["address"],
            let (host, port) = NodeAddress.parse(address)
        else {
            machine.remove1(.workerRequested)
            let reason = payload.flatMap { p -> String? in
                if case .map(let d)? = p["data"], case .string(let r)? = d["reason"] { r } else { nil }
            }
            throw reason.map(NodeError.refused) ?? (result == .executed ? NodeError.noWorkersAvailable : NodeError.refused("\(result)"))
        }
        let worker = RPCClient(
            host: host, port: port,
            configuration: .init(id: workerClientId, consumer: machine, connectTimeout: configuration.connTimeout,
                                 connectRetries: 2, reconnect: false, logger: configuration.logger))
        let workerNet = try await worker.connect()
        links.withLock { $0.worker = worker }
        Pipes.bind(worker.machine, .ready, to: machine, .workerReadyClient)
        return workerNet
    }

    /// The next payload named `name` (from the worker or the supervisor) arriving after
    /// this call: its `data`.
    public func nextPayload(named name: String, timeout: Duration) async throws -> ArgValue {
        let mark = inbox.mark()
        guard let payload = try await inbox.next(named: [name], after: mark, timeout: timeout) else {
            throw NodeError.refused("no \(name) payload within \(timeout)")
        }
        return payload["data"] ?? .null
    }

    /// Leaves the worker: it goes back to the pool.
    public func releaseWorker() async {
        let worker = links.withLock { l -> RPCClient? in
            defer { l.worker = nil }
            return l.worker
        }
        await worker?.close()
    }

    /// Leaves the worker and the supervisor.
    public func stop() async {
        await releaseWorker()
        let supervisor = links.withLock { l -> RPCClient? in
            defer { l.supervisor = nil }
            return l.supervisor
        }
        await supervisor?.close()
        machine.remove1(.start)
    }
}

/// The ids clients use (the seed's GetSuperClientId / GetWorkerClientId).
public enum NodeIds {
    public static func superClient(_ name: String) -> String { "nc-super-\(name)" }
    public static func workerClient(_ name: String) -> String { "nc-worker-\(name)" }
}

/// Payloads received, numbered, so a caller can wait for the next one of a name; a
/// waiter is resumed by the payload's arrival, not by polling.
final class PayloadInbox: Sendable {
    private struct Waiter: Sendable {
        let names: [String]
        let after: Int
        let continuation: CheckedContinuation<Args?, Never>
    }

    private struct State: Sendable {
        var received: [(Int, Args)] = []
        var count = 0
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    private static func name(_ args: Args) -> String { (try? args.string("name")) ?? "" }

    func add(_ args: Args) {
        let ready = state.withLock { s -> [CheckedContinuation<Args?, Never>] in
            s.count += 1
            s.received.append((s.count, args))
            if s.received.count > 256 { s.received.removeFirst(s.received.count - 256) }
            let name = Self.name(args)
            let matching = s.waiters.filter { $0.value.names.contains(name) && s.count > $0.value.after }
            for key in matching.keys { s.waiters[key] = nil }
            return matching.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: args) }
    }

    func mark() -> Int { state.withLock { $0.count } }

    /// The first payload after `mark` whose name is one of `names`, or nil after `timeout`.
    func next(named names: [String], after mark: Int, timeout: Duration) async throws -> Args? {
        let id = state.withLock { s -> Int in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let found = state.withLock { s -> Args? in
                if let hit = s.received.first(where: { $0.0 > mark && names.contains(Self.name($0.1)) }) { return hit.1 }
                s.waiters[id] = Waiter(names: names, after: mark, continuation: continuation)
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    private func expire(_ id: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: nil)
    }
}
