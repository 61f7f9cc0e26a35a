import Synchronization

/// A cancellation scope for one activation of a state: it ends as soon as the state's
/// tick changes (deactivation, or re-activation of a Multi state), or the machine is
/// disposed. Tasks started with ``task(_:)`` are cancelled when it ends.
///
/// ```swift
/// machine.onState(.connecting) { event in
///     event.machine.stateContext(.connecting).task {
///         try? await connect()          // cancelled when Connecting ends
///     }
/// }
/// ```
public final class StateContext: Sendable {
    public let state: StateName
    /// The state's tick this context belongs to.
    public let tick: UInt64

    private struct Inner: Sendable {
        var cancelled = false
        var callbacks: [@Sendable () -> Void] = []
        var tasks: [Task<Void, Never>] = []
    }

    private let inner: Mutex<Inner>

    init(state: StateName, tick: UInt64, cancelled: Bool = false) {
        self.state = state
        self.tick = tick
        self.inner = Mutex(Inner(cancelled: cancelled))
    }

    /// True once the activation this context belongs to is over.
    public var isCancelled: Bool { inner.withLock { $0.cancelled } }

    /// Runs `body` when the context ends (at once if it already has).
    public func onCancel(_ body: @escaping @Sendable () -> Void) {
        let now = inner.withLock { s -> Bool in
            if s.cancelled { return true }
            s.callbacks.append(body)
            return false
        }
        if now { body() }
    }

    /// Starts a task bound to this context: cancelled when the context ends, and never
    /// started when it already has.
    @discardableResult
    public func task(_ operation: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        // Checked before the task exists, so the work of an activation that is already
        // over never starts; a cancellation racing with this call cancels the new task.
        guard !isCancelled else {
            let inert = Task<Void, Never> {}
            inert.cancel()
            return inert
        }
        let task = Task { await operation() }
        let cancelNow = inner.withLock { s -> Bool in
            if s.cancelled { return true }
            s.tasks.removeAll { $0.isCancelled }
            s.tasks.append(task)
            return false
        }
        if cancelNow { task.cancel() }
        return task
    }

    /// Suspends until the context ends.
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            onCancel { continuation.resume() }
        }
    }

    func cancel() {
        let (callbacks, tasks) = inner.withLock { s -> ([@Sendable () -> Void], [Task<Void, Never>]) in
            if s.cancelled { return ([], []) }
            s.cancelled = true
            defer {
                s.callbacks = []
                s.tasks = []
            }
            return (s.callbacks, s.tasks)
        }
        for task in tasks { task.cancel() }
        for callback in callbacks { callback() }
    }
}

extension Machine {
    /// The cancellation scope of the current activation of `state`. One context per
    /// activation: calling again returns the same one. For an inactive state (or an
    /// unknown one, or a disposed machine) the context is already cancelled, so work
    /// bound to it never starts.
    public func stateContext(_ state: StateName) -> StateContext {
        shared.withLock { s in
            guard !s.isDisposed, let i = s.compiled.index[state], s.isActive(i) else {
                return StateContext(state: state, tick: 0, cancelled: true)
            }
            if let ctx = s.contexts[i] { return ctx }
            let ctx = StateContext(state: state, tick: s.ticks[i])
            s.contexts[i] = ctx
            return ctx
        }
    }
}
