import AsyncMachine

extension StateName {
    /// Worker: its supervisor-facing server listens.
    public static let localRpcReady: StateName = "LocalRpcReady"
    /// Worker: its client-facing server listens.
    public static let publicRpcReady: StateName = "PublicRpcReady"
    /// Worker: its supervisor is connected to the local server.
    public static let superConnected: StateName = "SuperConnected"
    /// Worker: lets one client id connect to the public server (Multi, args `id`).
    public static let serveClient: StateName = "ServeClient"
    /// Worker: sends a payload to its client (Multi, args `name`, `data`).
    public static let clientSendPayload: StateName = "ClientSendPayload"
    /// Worker: waiting for work.
    public static let idle: StateName = "Idle"
    /// Worker: a client asked for work (args are the job).
    public static let workRequested: StateName = "WorkRequested"
    /// Worker: working.
    public static let working: StateName = "Working"
    /// Worker: the result is ready.
    public static let workReady: StateName = "WorkReady"
    /// Worker errors.
    public static let errWork: StateName = "ErrWork"
    public static let errWorkTimeout: StateName = "ErrWorkTimeout"
    public static let errClient: StateName = "ErrClient"
    public static let errSupervisor: StateName = "ErrSupervisor"
    /// Bootstrap: a worker reported its addresses (Multi, args `id`, `local`, `public`, `pid`).
    public static let workerAddr: StateName = "WorkerAddr"
}

extension Schema {
    /// The states every worker has (asyncmachine-go's `WorkerSchema`); applications merge
    /// their own work states on top. The work group (Idle, WorkRequested, Working,
    /// WorkReady) is mutually exclusive and Idle is its automatic fallback.
    /// (`RpcReady` is the RPC layer's state name: here, both servers listen and the worker
    /// reports its addresses to the bootstrap.)
    public static let worker: Schema = {
        let work: [StateName] = [.idle, .workRequested, .working, .workReady]
        func others(_ name: StateName) -> [StateName] { work.filter { $0 != name } }
        return try! Schema.basic.merging([
            .errWork: StateSpec(require: [.exception], add: [.exception], multi: true),
            .errWorkTimeout: StateSpec(require: [.exception], add: [.exception], multi: true),
            .errClient: StateSpec(require: [.exception], add: [.exception], multi: true),
            .errSupervisor: StateSpec(require: [.exception], add: [.exception], multi: true),
            .localRpcReady: StateSpec(require: [.start]),
            .publicRpcReady: StateSpec(require: [.start]),
            .rpcReady: StateSpec(require: [.localRpcReady, .publicRpcReady], auto: true),
            .superConnected: StateSpec(require: [.start]),
            .clientConnected: StateSpec(require: [.start]),
            .ready: StateSpec(require: [.rpcReady]),
            .serveClient: StateSpec(require: [.publicRpcReady], multi: true),
            .clientSendPayload: StateSpec(require: [.publicRpcReady], multi: true),
            .idle: StateSpec(require: [.ready], remove: others(.idle), auto: true),
            .workRequested: StateSpec(require: [.ready], remove: others(.workRequested)),
            .working: StateSpec(require: [.ready], remove: others(.working)),
            .workReady: StateSpec(require: [.ready], remove: others(.workReady)),
        ])
    }()

    /// The bootstrap rendezvous (one per fork): the forked worker adds WorkerAddr.
    public static let bootstrap: Schema = {
        try! Schema.basic.merging([.workerAddr: StateSpec(require: [.start], multi: true)])
    }()
}
