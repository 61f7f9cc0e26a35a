import AsyncMachine
import AsyncMachineRPC

extension StateName {
    /// Client: connected to a supervisor and mirroring it.
    public static let superReady: StateName = "SuperReady"
    /// Client: a worker was asked for and not yet connected.
    public static let workerRequested: StateName = "WorkerRequested"
    /// Client: connected to its worker.
    public static let workerReadyClient: StateName = "WorkerReady"
}

extension Schema {
    /// The node client's states (asyncmachine-go's `ClientSchema`): Start, SuperReady,
    /// WorkerRequested, WorkerReady, Ready (Auto, once the worker is connected), the
    /// payload consumer's ServerPayload, and the two error states.
    public static let nodeClient: Schema = {
        try! Schema.basic.merging([
            .errWorker: StateSpec(require: [.exception], add: [.exception], multi: true),
            .errSupervisor: StateSpec(require: [.exception], add: [.exception], multi: true),
            .superReady: StateSpec(require: [.start]),
            .workerRequested: StateSpec(require: [.superReady]),
            .workerReadyClient: StateSpec(require: [.start], remove: [.workerRequested]),
            .ready: StateSpec(require: [.workerReadyClient], auto: true),
            .serverPayload: StateSpec(multi: true),
        ])
    }()
}
