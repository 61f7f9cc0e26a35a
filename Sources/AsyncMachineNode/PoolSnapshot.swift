import AsyncMachine

/// Everything an operator sees of a pool at one moment: serializable, so an attached
/// dashboard, a recording and `amnode status` get exactly what an embedded one does.
public struct PoolSnapshot: Codable, Sendable, Equatable {
    public struct Pool: Codable, Sendable, Equatable {
        public var min: Int
        public var max: Int
        public var warm: Int
        public var target: Int
        public var maxClientWorkers: Int
        public var heartbeatMilliseconds: Int

        public init(min: Int, max: Int, warm: Int, target: Int, maxClientWorkers: Int, heartbeatMilliseconds: Int) {
            self.min = min
            self.max = max
            self.warm = warm
            self.target = target
            self.maxClientWorkers = maxClientWorkers
            self.heartbeatMilliseconds = heartbeatMilliseconds
        }
    }

    public struct Flags: Codable, Sendable, Equatable {
        public var poolReady: Bool
        public var normalizingPool: Bool
        public var poolNormalized: Bool
        public var workersAvailable: Bool
        public var ready: Bool
        public var errPool: Bool

        public init(poolReady: Bool, normalizingPool: Bool, poolNormalized: Bool, workersAvailable: Bool, ready: Bool, errPool: Bool) {
            self.poolReady = poolReady
            self.normalizingPool = normalizingPool
            self.poolNormalized = poolNormalized
            self.workersAvailable = workersAvailable
            self.ready = ready
            self.errPool = errPool
        }
    }

    public struct Counters: Codable, Sendable, Equatable {
        /// Workers forked, gone (any exit), killed on request, and errors (ErrWorker) in all.
        public var forked: Int
        public var gone: Int
        public var killed: Int
        public var errors: Int

        public init(forked: Int, gone: Int, killed: Int, errors: Int) {
            self.forked = forked
            self.gone = gone
            self.killed = killed
            self.errors = errors
        }
    }

    public struct Worker: Codable, Sendable, Equatable {
        public var id: String
        public var workerId: String
        public var pid: Int32?
        public var state: WorkerState
        /// The worker machine's active states (from the supervisor's mirror).
        public var activeStates: [String]
        public var errors: Int
        public var lastError: String?
        public var lastHealthcheckAgeMilliseconds: Int?
        public var healthcheckRoundTripMicroseconds: Int?
        public var client: String?
        public var uptimeMilliseconds: Int
        public var localAddress: String
        public var publicAddress: String

        public init(id: String, workerId: String, pid: Int32?, state: WorkerState, activeStates: [String], errors: Int, lastError: String?, lastHealthcheckAgeMilliseconds: Int?, healthcheckRoundTripMicroseconds: Int?, client: String?, uptimeMilliseconds: Int, localAddress: String, publicAddress: String) {
            self.id = id
            self.workerId = workerId
            self.pid = pid
            self.state = state
            self.activeStates = activeStates
            self.errors = errors
            self.lastError = lastError
            self.lastHealthcheckAgeMilliseconds = lastHealthcheckAgeMilliseconds
            self.healthcheckRoundTripMicroseconds = healthcheckRoundTripMicroseconds
            self.client = client
            self.uptimeMilliseconds = uptimeMilliseconds
            self.localAddress = localAddress
            self.publicAddress = publicAddress
        }
    }

    /// Increases with every snapshot a supervisor takes.
    public var seq: UInt64
    /// Wall clock, nanoseconds since the Unix epoch.
    public var takenAt: UInt64
    public var supervisor: String
    public var kind: String
    public var pool: Pool
    public var flags: Flags
    public var counters: Counters
    public var workers: [Worker]
    /// Clients connected to the public endpoint.
    public var clients: [String]

    public init(seq: UInt64, takenAt: UInt64, supervisor: String, kind: String, pool: Pool, flags: Flags, counters: Counters, workers: [Worker], clients: [String]) {
        self.seq = seq
        self.takenAt = takenAt
        self.supervisor = supervisor
        self.kind = kind
        self.pool = pool
        self.flags = flags
        self.counters = counters
        self.workers = workers
        self.clients = clients
    }
}

extension Supervisor {
    /// The pool now.
    public func snapshot() -> PoolSnapshot {
        let c = configuration.withLock { $0 }
        let seq = state.withLock { s -> UInt64 in
            s.snapshotSeq += 1
            return s.snapshotSeq
        }
        let records = state.withLock { Array($0.workers.values) }.sorted { $0.number < $1.number }
        let workers = records.map { record -> PoolSnapshot.Worker in
            let info = record.info
            let active = record.read(\.net)?.mirror.activeStates().map(\.rawValue) ?? []
            return PoolSnapshot.Worker(
                id: info.id, workerId: info.workerId, pid: info.pid, state: info.state, activeStates: active,
                errors: info.errors, lastError: info.lastError,
                lastHealthcheckAgeMilliseconds: info.lastHealthcheckAge.map { Int($0.millisecondsCount) },
                healthcheckRoundTripMicroseconds: info.healthcheckRoundTrip.map { Int($0.microsecondsCount) },
                client: info.client, uptimeMilliseconds: Int(info.uptime.millisecondsCount),
                localAddress: info.localAddress, publicAddress: info.publicAddress)
        }
        func activations(_ state: StateName) -> Int { Int((machine.tick(state) + 1) / 2) }
        return PoolSnapshot(
            seq: seq, takenAt: wallClockNanoseconds(), supervisor: name, kind: c.kind,
            pool: .init(min: c.min, max: c.max, warm: c.warm, target: c.target, maxClientWorkers: c.clientWorkerLimit,
                        heartbeatMilliseconds: Int(c.heartbeat.millisecondsCount)),
            flags: .init(poolReady: machine.is1(.poolReady), normalizingPool: machine.is1(.normalizingPool),
                         poolNormalized: machine.is1(.poolNormalized), workersAvailable: machine.is1(.workersAvailable),
                         ready: machine.is1(.ready), errPool: machine.is1(.errPool)),
            counters: .init(forked: activations(.forkWorker), gone: activations(.workerGone),
                            killed: activations(.workerKilled), errors: activations(.errWorker)),
            workers: workers, clients: publicServer.clients)
    }
}
