import AsyncMachine

/// The node's typed arguments (the seed's `A` and `ARpc`): every field is serializable,
/// so the two are one type here. `args` is the seed's `Pass`/`PassRpc`,
/// `init(args:)` its `ParseArgs`. Keys are what the node's mutations carry on the wire.
public struct NodeArgs: ArgsRepresentable, Equatable {
    /// A machine id (the seed's Id): the worker's id in its WorkerAddr report.
    public var id: String?
    /// A worker's supervisor-facing address (LocalAddr), `host:port`.
    public var localAddr: String?
    /// A worker's client-facing address (PublicAddr), `host:port`.
    public var publicAddr: String?
    /// The bootstrap's address (BootAddr).
    public var bootAddr: String?
    /// Supervisors' public addresses (NodesList).
    public var nodesList: [String]?
    /// The client's id on the supervisor (SuperRpcId).
    public var superRpcId: String?
    /// The client's id on its worker (WorkerRpcId).
    public var workerRpcId: String?
    /// The supervisor's key of a worker (`w1`, `w2`...; the seed's WorkerAddr index).
    public var worker: String?
    /// A worker's process id.
    public var pid: Int?

    public init(
        id: String? = nil, localAddr: String? = nil, publicAddr: String? = nil, bootAddr: String? = nil,
        nodesList: [String]? = nil, superRpcId: String? = nil, workerRpcId: String? = nil, worker: String? = nil,
        pid: Int? = nil
    ) {
        self.id = id
        self.localAddr = localAddr
        self.publicAddr = publicAddr
        self.bootAddr = bootAddr
        self.nodesList = nodesList
        self.superRpcId = superRpcId
        self.workerRpcId = workerRpcId
        self.worker = worker
        self.pid = pid
    }

    enum Key {
        static let id = "id", localAddr = "local", publicAddr = "public", bootAddr = "boot", nodesList = "nodes"
        static let superRpcId = "superClient", workerRpcId = "client", worker = "worker", pid = "pid"
    }

    /// Reads the fields present in `args`; a field of the wrong type is an error.
    public init(args: Args) throws(ArgsError) {
        id = try args.optionalString(Key.id)
        localAddr = try args.optionalString(Key.localAddr)
        publicAddr = try args.optionalString(Key.publicAddr)
        bootAddr = try args.optionalString(Key.bootAddr)
        superRpcId = try args.optionalString(Key.superRpcId)
        workerRpcId = try args.optionalString(Key.workerRpcId)
        worker = try args.optionalString(Key.worker)
        pid = try args.optionalInt(Key.pid)
        if let nodes = args[Key.nodesList] {
            guard case .list(let list) = nodes else { throw .wrongType(key: Key.nodesList, expected: "list", actual: nodes.typeName) }
            nodesList = try list.map { value throws(ArgsError) in
                guard case .string(let s) = value else { throw .wrongType(key: Key.nodesList, expected: "string", actual: value.typeName) }
                return s
            }
        }
    }

    /// The fields that are set, as args.
    public var args: Args {
        var args = Args()
        args[Key.id] = id.map(ArgValue.string)
        args[Key.localAddr] = localAddr.map(ArgValue.string)
        args[Key.publicAddr] = publicAddr.map(ArgValue.string)
        args[Key.bootAddr] = bootAddr.map(ArgValue.string)
        args[Key.nodesList] = nodesList.map { .list($0.map(ArgValue.string)) }
        args[Key.superRpcId] = superRpcId.map(ArgValue.string)
        args[Key.workerRpcId] = workerRpcId.map(ArgValue.string)
        args[Key.worker] = worker.map(ArgValue.string)
        args[Key.pid] = pid.map(ArgValue.int)
        return args
    }
}
