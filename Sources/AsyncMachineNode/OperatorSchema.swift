import AsyncMachine

extension StateName {
    /// Operator: fork more workers (Multi, args `count`).
    public static let forkWorkers: StateName = "ForkWorkers"
    /// Operator: kill a worker (Multi, args `worker`, `force`).
    public static let killWorker: StateName = "KillWorker"
    /// Operator: give a worker to a client connected to the public endpoint (Multi, args `client`: its name).
    public static let provideTo: StateName = "ProvideTo"
    /// Operator: change the pool sizes (Multi, args `min`, `max`, `warm`, any subset).
    public static let setPool: StateName = "SetPool"
    /// Operator: let a worker finish its client, then end it (Multi, args `worker`).
    public static let drainWorker: StateName = "DrainWorker"
    /// Operator: healthcheck every worker now (Multi).
    public static let heartbeatNow: StateName = "HeartbeatNow"
    /// Operator: send a PoolSnapshot now (Multi).
    public static let requestSnapshot: StateName = "RequestSnapshot"
    /// Operator: an action failed (args `err`).
    public static let errOperator: StateName = "ErrOperator"
}

extension Schema {
    /// The operator endpoint's machine: every action is a Multi state an operator adds
    /// (over aRPC, with the endpoint's token) with its arguments.
    public static let operatorEndpoint: Schema = {
        try! Schema.basic.merging([
            .errOperator: StateSpec(require: [.exception], add: [.exception], multi: true),
            .forkWorkers: StateSpec(require: [.start], multi: true),
            .killWorker: StateSpec(require: [.start], multi: true),
            .provideTo: StateSpec(require: [.start], multi: true),
            .setPool: StateSpec(require: [.start], multi: true),
            .drainWorker: StateSpec(require: [.start], multi: true),
            .heartbeatNow: StateSpec(require: [.start], multi: true),
            .requestSnapshot: StateSpec(require: [.start], multi: true),
        ])
    }()
}
