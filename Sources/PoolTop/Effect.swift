/// What the model asks the outside world to do after a key. The model itself never talks
/// to a pool, a recording or the terminal, which keeps it a testable value.
public enum Effect: Sendable, Equatable {
    /// An operator action for the pool (live modes only).
    case control(ControlRequest)
    /// A move of the replay cursor (replay mode only).
    case replay(ReplayRequest)
    /// Start recording the live pool into the file at `path`.
    case record(path: String)
    /// Leave the dashboard (already confirmed where confirmation is needed).
    case quit
}

/// An operator action, in the terms of the supervisor's operator endpoint.
public enum ControlRequest: Sendable, Equatable, CustomStringConvertible {
    case fork(count: Int)
    /// Kill the workers with these supervisor ids; `force` skips the graceful path.
    case kill(ids: [String], force: Bool)
    /// Reserve a worker for the client named `client`.
    case provide(client: String)
    /// Change the pool sizes; `nil` keeps the current value.
    case setPool(min: Int?, max: Int?, warm: Int?)
    /// Let the worker finish its client, then end it.
    case drain(id: String)
    /// Run a heartbeat (and its healthchecks) now.
    case heartbeat

    /// How the status line and the log name the request.
    public var description: String {
        switch self {
        case .fork(let count): "fork \(count)"
        case .kill(let ids, let force): (force ? "force kill " : "kill ") + ids.joined(separator: " ")
        case .provide(let client): "provide to \(client)"
        case .setPool(let min, let max, let warm):
            "set pool" + [("min", min), ("max", max), ("warm", warm)].compactMap { name, value in value.map { " \(name) \($0)" } }.joined()
        case .drain(let id): "drain \(id)"
        case .heartbeat: "heartbeat"
        }
    }
}

/// A move of the replay cursor. The replay feed answers with new snapshots, events and
/// a ``ReplayStatus``.
public enum ReplayRequest: Sendable, Equatable {
    case playPause
    case speedUp
    case slowDown
    /// Move this many transitions (negative: back).
    case step(Int)
    /// Move this many transitions at once ({ and } jump 50).
    case jump(Int)
    case first
    case last
    case nextError
    case previousError
    /// The next or previous transition that changed the worker with this id.
    case nextChange(worker: String)
    case previousChange(worker: String)
    /// Go to a transition (`tx123` or `123`) or a wall time (`HH:MM:SS[.mmm]`), as typed
    /// after `:goto` and checked by ``ColonCommand/parse(_:)``.
    case goto(String)
}
