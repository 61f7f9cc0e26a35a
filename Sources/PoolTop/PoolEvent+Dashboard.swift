import AsyncMachine
import AsyncMachineNode

/// What the dashboard reads out of an event beyond its stored fields.
extension PoolEvent {
    /// The worker the event is about: its own machine's transitions, and the supervisor's
    /// transitions and actions that name a worker (ForkWorker, ErrWorker, KillWorker...),
    /// so a worker's detail shows what the supervisor did to it too.
    public var subjectWorker: String? {
        if let worker { return worker }
        if let transition, case .string(let id)? = transition.args["worker"] { return id }
        if let action, action.name == .kill || action.name == .forceKill || action.name == .drain { return action.target }
        return nil
    }

    /// The event as the log pane reads it, without its time: the gutter mark, who it is
    /// about and what happened (`amnode replay` prints the same lines).
    public var logLine: String { EventLine(self).plain }

    /// True for an error. Feeds turn every transition that activated Exception into the
    /// transition plus an `.error` event (``PoolEvent/events(for:worker:)``), so counting
    /// only `.error` events counts each error once.
    public var isError: Bool { kind == .error }

    /// An accepted transition that activated and deactivated nothing.
    public var isUnchangedTransition: Bool {
        guard kind == .transition, let t = transition else { return false }
        return t.accepted && t.entered.isEmpty && t.exited.isEmpty
    }

    /// True for an accepted transition that activated an `Err*` state (the log marks it).
    var enteredError: Bool {
        guard let transition, transition.accepted else { return false }
        return transition.entered.contains { $0.rawValue.hasPrefix("Err") || $0 == .exception }
    }

    /// True for the supervisor's own heartbeat: a transition of the supervisor machine
    /// (no worker) that activated `Heartbeat`.
    var isSupervisorHeartbeat: Bool {
        guard worker == nil, let transition, transition.accepted else { return false }
        return transition.entered.contains(.heartbeat)
    }
}

