extension Machine {
    /// Disposes the machine: removes Start (so its dependents end and their handlers run),
    /// then, once the queue is drained, cancels every waiter and state context, tells the
    /// tracers and runs the ``onDispose(_:)`` callbacks. Safe to call from a handler (the
    /// disposal then completes when the current drain ends) and more than once.
    public func dispose() {
        let startActive = shared.withLock { s -> Bool in
            guard s.lifecycle == .running, let start = s.compiled.start else { return false }
            return s.isActive(start)
        }
        if startActive { remove1(.start) }
        let now = shared.withLock { s -> Bool in
            guard s.lifecycle == .running else { return false }
            if s.draining {
                s.lifecycle = .disposeRequested
                return false
            }
            s.lifecycle = .disposeRequested
            return true
        }
        if now { completeDisposal() }
    }

    /// True once disposal has completed.
    public var isDisposed: Bool { shared.withLock { $0.isDisposed } }

    /// Runs `body` once the machine is disposed (at once if it already is).
    public func onDispose(_ body: @escaping @Sendable (Machine) -> Void) {
        let now = shared.withLock { s -> Bool in
            if s.isDisposed { return true }
            s.disposeCallbacks.append(body)
            return false
        }
        if now { body(self) }
    }

    func completeDisposal() {
        let taken = shared.withLock { s -> (SharedState.Disposal)? in
            guard s.lifecycle != .disposed else { return nil }
            s.lifecycle = .disposed
            defer {
                s.waiters = [:]
                s.contexts = [:]
                s.disposeCallbacks = []
                s.disposedWaiters = []
                s.queue.removeAll()
                s.appendedInQueue = 0
            }
            return SharedState.Disposal(
                waiters: Array(s.waiters.values), contexts: Array(s.contexts.values), tracers: s.registry.tracers,
                callbacks: s.disposeCallbacks, disposedWaiters: s.disposedWaiters,
                evals: s.queue.compactMap { if case .eval(let job)? = $0.job { job } else { nil } })
        }
        guard let taken else { return }
        for job in taken.evals { job.done?.resume(returning: false) }
        for waiter in taken.waiters { waiter.continuation.resume(throwing: MachineError.disposed) }
        for ctx in taken.contexts { ctx.cancel() }
        for tracer in taken.tracers { tracer.machineDisposed(self) }
        for callback in taken.callbacks { callback(self) }
        for waiter in taken.disposedWaiters { waiter.resume() }
    }

    /// Grows the schema: `newSchema` must keep every current state at its index (new
    /// states follow them), so clocks, records and mirrors stay valid. Refused while a
    /// transition runs.
    public func setSchema(_ newSchema: Schema) throws(SchemaChangeError) {
        let compiled = CompiledSchema(newSchema)
        let result = shared.withLock { s -> Result<(Schema, [any Tracer]), SchemaChangeError> in
            guard !s.isDisposed else { return .failure(.disposed) }
            guard !s.draining else { return .failure(.busy) }
            let old = s.compiled.names
            guard compiled.count >= old.count, Array(compiled.names.prefix(old.count)) == old else {
                return .failure(.reordered)
            }
            let previous = s.compiled.schema
            let extra = compiled.count - old.count
            s.compiled = compiled
            s.ticks += Array(repeating: 0, count: extra)
            var handlers = s.registry.handlers
            handlers.resize(to: compiled.count)
            s.registry = s.registry.with(handlers: handlers)
            // Holding the lock while not draining: no drainer can be touching DrainState.
            drain.compiled = compiled
            drain.ticks += Array(repeating: 0, count: extra)
            return .success((previous, s.registry.tracers))
        }
        switch result {
        case .failure(let error): throw error
        case .success(let (old, tracers)):
            for tracer in tracers { tracer.schemaChanged(self, from: old) }
        }
    }
}

/// Why ``Machine/setSchema(_:)`` refused a schema.
public enum SchemaChangeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The new schema does not keep the current states at their indexes.
    case reordered
    /// A transition is running.
    case busy
    case disposed

    public var description: String {
        switch self {
        case .reordered: "schema change refused: the new schema must keep every current state at its index"
        case .busy: "schema change refused: a transition is running"
        case .disposed: "schema change refused: the machine is disposed"
        }
    }
}

extension SharedState {
    struct Disposal {
        var waiters: [Waiter]
        var contexts: [StateContext]
        var tracers: [any Tracer]
        var callbacks: [@Sendable (Machine) -> Void]
        var disposedWaiters: [CheckedContinuation<Void, Never>]
        var evals: [EvalJob]
    }
}
