import AsyncMachineNode

/// Where the dashboard's pool comes from: an embedded supervisor, an attached one, or a
/// recording. The model and views cannot tell them apart (DESIGN.md §8); a feed is the
/// only difference between the modes.
public protocol PoolFeed: AnyObject, Sendable {
    /// Everything that arrived since the last call, oldest first. Never blocks: the
    /// dashboard calls it from its terminal thread before every frame.
    func poll() -> [FeedUpdate]
    /// Runs an operator's request and returns what came of it (also in the event log).
    /// Feeds that cannot act (replay) return a refusal.
    func perform(_ request: ControlRequest) async -> [OperatorAction]
    /// Moves a replay; live feeds ignore it.
    func replay(_ request: ReplayRequest)
    /// Starts recording into `path`; feeds that cannot record say why.
    func startRecording(to path: String) -> OperatorAction
    /// Releases everything the feed owns (an embedded pool: every worker process).
    func stop() async
}

extension PoolFeed {
    public func replay(_ request: ReplayRequest) {}

    public func startRecording(to path: String) -> OperatorAction {
        OperatorAction(name: .record, ok: false, result: "recording is only possible with an embedded pool (use amnode supervisor --record for an attached one)",
                       origin: "dashboard")
    }
}

extension ControlRequest {
    /// The pool commands this request stands for (a kill of several workers is several).
    var poolCommands: [PoolCommand] {
        switch self {
        case .fork(let count): [.fork(count: count)]
        case .kill(let ids, let force): ids.map { .kill(worker: $0, force: force) }
        case .provide(let client): [.provide(client: client)]
        case .setPool(let min, let max, let warm): [.setPool(min: min, max: max, warm: warm)]
        case .drain(let id): [.drain(worker: id)]
        case .heartbeat: [.heartbeat]
        }
    }
}
