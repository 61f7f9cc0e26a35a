import AsyncMachine
import AsyncMachineRPC
import Synchronization

/// What a supervisor knows of one worker.
final class WorkerRecord: Sendable {
    struct Fields: Sendable {
        var phase: WorkerPhase = .initing
        var process: LaunchedProcess?
        var client: RPCClient?
        var net: NetMachine?
        var localAddress = ""
        var publicAddress = ""
        var workerId = ""
        var wasReady = false
        /// The client (its worker-connection id) this worker is reserved for.
        var assignedClient: String?
        /// Counts reservations, so a stale expiry timer cannot end a newer one.
        var reservation = 0
        /// Ended once its client leaves (an operator drained it).
        var draining = false
        /// Set when the supervisor kills it on purpose.
        var leaving = false
        /// Why it is being ended, when something went wrong.
        var failure: String?
        /// When its errors happened (pruned to WorkerErrTtl), and the last one's text.
        var errors: [ContinuousClock.Instant] = []
        var lastError: String?
        /// After an error the worker is not handed to clients for WorkerErrRecent.
        var hiddenUntil: ContinuousClock.Instant?
        /// The last successful healthcheck and its round trip.
        var lastHealthcheck: ContinuousClock.Instant?
        var healthcheckRoundTrip: Duration?
        let startedAt = ContinuousClock.now
    }

    enum WorkerPhase: Sendable { case initing, rpc, ready }

    let id: String
    let number: Int
    private let fields = Mutex(Fields())

    init(id: String, number: Int) {
        self.id = id
        self.number = number
    }

    func update(_ body: (inout Fields) -> Void) { fields.withLock { body(&$0) } }
    func read<T: Sendable>(_ body: (Fields) -> T) -> T { fields.withLock { body($0) } }

    var isLeaving: Bool { read(\.leaving) }

    /// Marks it ready; false if it already was.
    func markReady() -> Bool {
        fields.withLock { f in
            guard f.phase != .ready else { return false }
            f.phase = .ready
            f.wasReady = true
            return true
        }
    }

    var info: WorkerInfo {
        let f = fields.withLock { $0 }
        let state: WorkerState
        switch f.phase {
        case _ where f.leaving || f.failure != nil: state = .killing
        case .initing: state = .initing
        case .rpc: state = .rpc
        case .ready:
            if let mirror = f.net?.mirror {
                let hidden = f.hiddenUntil.map { ContinuousClock.now < $0 } ?? false
                state = .linked(isActive: { mirror.is1($0) }, free: f.assignedClient == nil && !f.draining && !hidden)
            } else {
                state = .ready
            }
        }
        return WorkerInfo(
            id: id, number: number, workerId: f.workerId, pid: f.process?.pid, state: state,
            localAddress: f.localAddress, publicAddress: f.publicAddress, client: f.assignedClient,
            uptime: ContinuousClock.now - f.startedAt, errors: f.errors.count, lastError: f.lastError,
            lastHealthcheckAge: f.lastHealthcheck.map { ContinuousClock.now - $0 }, healthcheckRoundTrip: f.healthcheckRoundTrip)
    }

    /// Ends the process (SIGTERM, SIGKILL after `grace`) and waits until it is reaped.
    func shutDown(grace: Duration) async {
        let process = fields.withLock { f -> LaunchedProcess? in
            f.leaving = true
            return f.process
        }
        if let client = read(\.client) { await client.close() }
        guard let process else { return }
        await process.stop(grace: grace)
    }
}

/// A listing state of workers (the seed's WorkerState).
public enum WorkerState: String, Sendable, Codable, CaseIterable {
    /// Forked, not yet reported.
    case initing
    /// Reported; the supervisor is linking to it.
    case rpc
    /// Linked and Ready, neither idle nor busy.
    case ready
    case idle
    case busy
    /// Being killed (on request or for its errors); gone once it exits.
    case killing

    /// The state of a linked worker from its own states: busy while a job is requested,
    /// running or ready; idle when Idle and `free` (no client, not draining, not hidden
    /// after an error); ready otherwise. The supervisor lists workers by it, and a replay
    /// derives them by it, so the two cannot drift apart.
    public static func linked(isActive: (StateName) -> Bool, free: Bool) -> WorkerState {
        if isActive(.workRequested) || isActive(.working) || isActive(.workReady) { return .busy }
        return isActive(.idle) && free ? .idle : .ready
    }
}

/// One worker as the supervisor sees it (the seed's WorkerInfo).
public struct WorkerInfo: Sendable, Equatable {
    public var id: String
    public var number: Int
    public var workerId: String
    public var pid: Int32?
    public var state: WorkerState
    public var localAddress: String
    public var publicAddress: String
    /// The client it is reserved for, if any.
    public var client: String?
    public var uptime: Duration
    /// Errors within WorkerErrTtl, and the last one.
    public var errors: Int
    public var lastError: String?
    /// Time since its last successful healthcheck, and that check's round trip.
    public var lastHealthcheckAge: Duration?
    public var healthcheckRoundTrip: Duration?
}
