import Synchronization

/// Handlers registered on a source machine by a pipe; ``dispose()`` unregisters them.
public final class PipeBinding: Sendable {
    public let source: Machine
    private let ids: Mutex<[HandlerID]>

    init(source: Machine, ids: [HandlerID]) {
        self.source = source
        self.ids = Mutex(ids)
    }

    /// Stops the pipe. Safe to call more than once.
    public func dispose() {
        let taken = ids.withLock { ids in
            defer { ids = [] }
            return ids
        }
        for id in taken { source.removeHandler(id) }
    }
}

/// Bindings that propagate a state of one machine to a state of another
/// (machine-semantics.md §7.5). The target's mutation is made inline from the source's
/// final handler and carries the source transition as its ``MutationSource``; when the
/// target is busy it is queued there as usual.
///
/// ```swift
/// let link = Pipes.bind(worker, .ready, to: supervisor, "WorkerReady")
/// ...
/// link.dispose()
/// ```
public enum Pipes {
    /// When `state` activates on `source`, adds `targetState` on `target` with the same
    /// args. A target state named `Err...` is added together with Exception.
    @discardableResult
    public static func add(_ source: Machine, _ state: StateName, to target: Machine, _ targetState: StateName)
        -> PipeBinding
    {
        let id = source.onState(state) { event in forwardAdd(event, target, targetState) }
        return PipeBinding(source: source, ids: [id])
    }

    /// When `state` deactivates on `source`, removes `targetState` on `target`.
    @discardableResult
    public static func remove(_ source: Machine, _ state: StateName, to target: Machine, _ targetState: StateName)
        -> PipeBinding
    {
        let id = source.onEnd(state) { event in
            target.remove1(targetState, event.args, source: event.source)
        }
        return PipeBinding(source: source, ids: [id])
    }

    /// Mirrors `state` of `source` as `targetState` of `target`: added when it activates,
    /// removed when it deactivates. With `initial`, an already active state is mirrored
    /// at once.
    @discardableResult
    public static func bind(
        _ source: Machine, _ state: StateName, to target: Machine, _ targetState: StateName, initial: Bool = true
    ) -> PipeBinding {
        let onState = source.onState(state) { event in forwardAdd(event, target, targetState) }
        let onEnd = source.onEnd(state) { event in target.remove1(targetState, event.args, source: event.source) }
        if initial && source.is1(state) { target.add1(targetState) }
        return PipeBinding(source: source, ids: [onState, onEnd])
    }

    /// Mirrors the source's Ready as `targetState` on the target.
    @discardableResult
    public static func bindReady(_ source: Machine, to target: Machine, _ targetState: StateName) -> PipeBinding {
        bind(source, .ready, to: target, targetState)
    }

    /// Every error of the source (each activation of Exception) becomes `addErrState` of
    /// `targetState` (default Exception) on the target, with the same error and args.
    @discardableResult
    public static func bindErr(_ source: Machine, to target: Machine, _ targetState: StateName = .exception)
        -> PipeBinding
    {
        let id = source.onState(.exception) { event in
            let error = event.error ?? PipedError(machineId: source.id, message: (try? event.args.string("err")) ?? "error")
            target.addErrState(targetState, error, event.args)
        }
        return PipeBinding(source: source, ids: [id])
    }

    /// Mirrors the connection group of `ConnectedSchema` (Connecting, Connected,
    /// Disconnecting, Disconnected) onto the target's states of those roles.
    @discardableResult
    public static func bindConnected(
        _ source: Machine, to target: Machine, connecting: StateName, connected: StateName,
        disconnecting: StateName, disconnected: StateName
    ) -> PipeBinding {
        let pairs: [(StateName, StateName)] = [
            (.connecting, connecting), (.connected, connected),
            (.disconnecting, disconnecting), (.disconnected, disconnected),
        ]
        var ids: [HandlerID] = []
        for (from, to) in pairs {
            ids.append(source.onState(from) { event in forwardAdd(event, target, to) })
            ids.append(source.onEnd(from) { event in target.remove1(to, event.args, source: event.source) })
        }
        return PipeBinding(source: source, ids: ids)
    }

    private static func forwardAdd(_ event: Event, _ target: Machine, _ targetState: StateName) {
        if targetState.rawValue.hasPrefix("Err") && targetState != .exception {
            let error = event.error ?? PipedError(machineId: event.transition.machineId, message: "\(targetState)")
            target.addErrState(targetState, error, event.args)
        } else {
            target.add1(targetState, event.args, source: event.source)
        }
    }
}

/// The error an error pipe forwards when the source's Exception carried none.
public struct PipedError: Error, Sendable, CustomStringConvertible {
    public let machineId: String
    public let message: String
    public var description: String { "\(machineId): \(message)" }
}

extension StateName {
    /// `ConnectedSchema`: a connection is being established.
    public static let connecting: StateName = "Connecting"
    /// `ConnectedSchema`: connected.
    public static let connected: StateName = "Connected"
    /// `ConnectedSchema`: the connection is being closed.
    public static let disconnecting: StateName = "Disconnecting"
    /// `ConnectedSchema`: not connected (the Auto fallback of the group).
    public static let disconnected: StateName = "Disconnected"
}
