import AsyncMachine

extension StateName {
    /// Supervisor: a worker failed (Multi, args `worker`, `err`).
    public static let errWorker: StateName = "ErrWorker"
    /// Supervisor: the pool cannot be brought to size (forks keep failing).
    public static let errPool: StateName = "ErrPool"
    /// Supervisor: starting; the first normalisation is under way.
    public static let poolStarting: StateName = "PoolStarting"
    /// Supervisor: at least min(Min, Max) workers are ready.
    public static let poolReady: StateName = "PoolReady"
    /// Supervisor: forking or killing workers to reach the target size.
    public static let normalizingPool: StateName = "NormalizingPool"
    /// Supervisor: the pool has its target size.
    public static let poolNormalized: StateName = "PoolNormalized"
    /// Supervisor: at least one ready worker is idle and unassigned.
    public static let workersAvailable: StateName = "WorkersAvailable"
    /// Supervisor: a fork was started (Multi, args `worker`).
    public static let forkWorker: StateName = "ForkWorker"
    /// Supervisor: a forked worker reported its addresses (Multi, args `worker`).
    public static let workerConnected: StateName = "WorkerConnected"
    /// Supervisor: the supervisor's RPC link to a worker is up (Multi, args `worker`).
    public static let workerForked: StateName = "WorkerForked"
    /// Supervisor: a worker's machine is Ready (Multi, args `worker`).
    public static let workerReady: StateName = "WorkerReady"
    /// Supervisor: a worker process ended, however it ended (Multi, args `worker`, `exit`).
    public static let workerGone: StateName = "WorkerGone"
    /// Supervisor: a worker is being killed (Multi, args `worker`, `force`).
    public static let killingWorker: StateName = "KillingWorker"
    /// Supervisor: a killed worker's exit was confirmed (Multi, args `worker`).
    public static let workerKilled: StateName = "WorkerKilled"
    /// Supervisor: assign an idle worker to a client (Multi, args `client`).
    public static let provideWorker: StateName = "ProvideWorker"
}

extension Schema {
    /// The supervisor's states (asyncmachine-go's `SupervisorSchema`), with the flow of
    /// rpc-node.md §5.3.
    public static let supervisor: Schema = {
        let status: [StateName] = [.poolStarting, .poolReady]
        let normalized: [StateName] = [.normalizingPool, .poolNormalized]
        return try! Schema.basic.merging([
            .errWorker: StateSpec(require: [.exception], add: [.exception], multi: true),
            .errPool: StateSpec(require: [.exception], add: [.exception], multi: true),
            .start: StateSpec(add: [.poolStarting]),
            .poolStarting: StateSpec(require: [.start], remove: status.filter { $0 != .poolStarting }),
            .poolReady: StateSpec(require: [.start], remove: status.filter { $0 != .poolReady }),
            .normalizingPool: StateSpec(require: [.start], remove: normalized.filter { $0 != .normalizingPool }),
            .poolNormalized: StateSpec(require: [.start], remove: normalized.filter { $0 != .poolNormalized }),
            .ready: StateSpec(require: [.poolReady], auto: true),
            .workersAvailable: StateSpec(require: [.poolReady]),
            .heartbeat: StateSpec(require: [.start]),
            .forkWorker: StateSpec(require: [.start], multi: true),
            .workerConnected: StateSpec(require: [.start], multi: true),
            .workerForked: StateSpec(require: [.start], multi: true),
            .workerReady: StateSpec(require: [.start], multi: true),
            .workerGone: StateSpec(multi: true),
            .killingWorker: StateSpec(multi: true),
            .workerKilled: StateSpec(multi: true),
            .provideWorker: StateSpec(require: [.workersAvailable], multi: true),
        ])
    }()
}
