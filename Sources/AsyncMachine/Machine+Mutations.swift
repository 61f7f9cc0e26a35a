extension Machine {
    /// Activates `states` (keeping the active ones).
    @discardableResult
    public func add(_ states: [StateName], _ args: Args = Args(), source: MutationSource? = nil) -> MutationResult {
        submit(.add, states, args, source: source)
    }

    @discardableResult
    public func add1(_ state: StateName, _ args: Args = Args(), source: MutationSource? = nil) -> MutationResult {
        submit(.add, CollectionOfOne(state), args, source: source)
    }

    /// Deactivates `states`.
    @discardableResult
    public func remove(_ states: [StateName], _ args: Args = Args(), source: MutationSource? = nil) -> MutationResult {
        submit(.remove, states, args, source: source)
    }

    @discardableResult
    public func remove1(_ state: StateName, _ args: Args = Args(), source: MutationSource? = nil) -> MutationResult {
        submit(.remove, CollectionOfOne(state), args, source: source)
    }

    /// Makes `states` (and what their relations imply) the only active states.
    @discardableResult
    public func set(_ states: [StateName], _ args: Args = Args(), source: MutationSource? = nil) -> MutationResult {
        submit(.set, states, args, source: source)
    }

    /// Removes `states` when all of them are active, adds them otherwise.
    @discardableResult
    public func toggle(_ states: [StateName], _ args: Args = Args()) -> MutationResult {
        self.is(states) && !states.isEmpty ? remove(states, args) : add(states, args)
    }

    @discardableResult
    public func toggle1(_ state: StateName, _ args: Args = Args()) -> MutationResult {
        toggle([state], args)
    }

    /// Adds Exception with `error`: stores it as ``lastError`` and passes it to handlers
    /// (`event.error`, and its text in `args["err"]`).
    @discardableResult
    public func addErr(_ error: any Error, _ args: Args = Args()) -> MutationResult {
        addErrState(.exception, error, args)
    }

    /// Adds the error state `state` together with Exception (see ``addErr(_:_:)``).
    @discardableResult
    public func addErrState(_ state: StateName, _ error: any Error, _ args: Args = Args()) -> MutationResult {
        let ok = shared.withLock { s in
            guard !s.isDisposed else { return false }
            s.lastError = error
            return true
        }
        guard ok else { return .canceled }
        var args = args
        args["err"] = .string(String(describing: error))
        let states: [StateName] = state == .exception ? [.exception] : [state, .exception]
        return submit(.add, states, args, error: error)
    }

    /// A dry run of `add`: relations and negotiation handlers decide, nothing changes.
    /// Returns executed or canceled; from another thread while a transition runs, the
    /// check is queued and its outcome goes to tracers only.
    public func canAdd(_ states: [StateName], _ args: Args = Args()) -> MutationResult {
        submit(.add, states, args, isCheck: true)
    }

    public func canAdd1(_ state: StateName, _ args: Args = Args()) -> MutationResult { canAdd([state], args) }

    /// A dry run of `remove` (see ``canAdd(_:_:)``).
    public func canRemove(_ states: [StateName], _ args: Args = Args()) -> MutationResult {
        submit(.remove, states, args, isCheck: true)
    }

    public func canRemove1(_ state: StateName, _ args: Args = Args()) -> MutationResult { canRemove([state], args) }

    /// Runs `body` between transitions, with no transition interleaving. Returns false
    /// when the machine is disposed. (Handlers are synchronous and cannot await this, so a
    /// nested eval cannot deadlock.)
    @discardableResult
    public func eval(_ body: @escaping @Sendable () -> Void) async -> Bool {
        enum Step { case rejected, run(DrainEnv), wait }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let step = shared.withLock { s -> Step in
                guard !s.isDisposed else { return .rejected }
                if s.draining {
                    s.queue.prepend(Mutation(type: .add, called: [], job: .eval(EvalJob(body: body, done: continuation))))
                    return .wait
                }
                s.draining = true
                s.drainer = currentThread()
                return .run(s.registry)
            }
            switch step {
            case .rejected: continuation.resume(returning: false)
            case .wait: break
            case .run:
                body()
                continuation.resume(returning: true)
                drainQueue()
            }
        }
    }

    // MARK: Submission

    /// Validates, queues or runs one mutation.
    func submit<C: Collection<StateName>>(
        _ type: MutationType, _ names: C, _ args: Args, error: (any Error)? = nil,
        isCheck: Bool = false, source: MutationSource? = nil
    ) -> MutationResult {
        let decision = shared.withLock { s -> SubmitDecision in
            guard s.lifecycle != .disposed else { return .done(.canceled) }
            var called: [Int]
            if names.count == 1, let name = names.first {
                guard let i = s.compiled.index[name] else { return .done(.failed(.unknownState(name))) }
                called = s.compiled.singletons[i]
            } else {
                called = []
                called.reserveCapacity(names.count)
                for name in names {
                    guard let i = s.compiled.index[name] else { return .done(.failed(.unknownState(name))) }
                    if !called.contains(i) { called.append(i) }
                }
            }
            if s.draining {
                let onDrainer = s.drainer.map(isCurrentThread) ?? false
                if isCheck && onDrainer {
                    let mutation = Mutation(type: type, called: called, args: args, isCheck: true, source: source)
                    return .nestedCheck(mutation, s.registry)
                }
                // Inside a handler, removing states that are all inactive is a no-op.
                if type == .remove && onDrainer && s.queue.isEmpty && !called.contains(where: s.isActive) {
                    return .done(.executed)
                }
                if !isCheck && error == nil && args.isEmpty,
                    let tick = s.duplicateTick(of: type, called)
                {
                    return .done(.queued(tick))
                }
                if s.queue.count >= configuration.queueLimit && !s.exemptFromQueueLimit(type, called) {
                    return .done(.failed(.queueFull))
                }
                s.appendedInQueue += 1
                let mutation = Mutation(
                    type: type, called: called, args: args, error: error, isCheck: isCheck, source: source,
                    queueTick: s.queueTick + UInt64(s.appendedInQueue))
                s.queue.append(mutation)
                return .queued(mutation, s.registry)
            }
            s.draining = true
            s.drainer = currentThread()
            s.queueTick += 1
            let mutation = Mutation(
                type: type, called: called, args: args, error: error, isCheck: isCheck, source: source,
                queueTick: s.queueTick)
            return .run(mutation, s.registry)
        }
        guard let mutation = decision.mutation, let registry = decision.registry else {
            if case .failed(let error) = decision.result { logger.error("[\(id)] \(type) rejected: \(error)") }
            return decision.result
        }
        switch decision.action {
        case .queued:
            for tracer in registry.tracers { tracer.mutationQueued(self, mutation) }
            return .queued(mutation.queueTick)
        case .nestedCheck:
            return runTransition(mutation, registry)
        case .run, .done:
            for tracer in registry.tracers { tracer.mutationQueued(self, mutation) }
            let result = runTransition(mutation, registry)
            drainQueue(finished: mutation.queueTick)
            return result
        }
    }
}

extension SharedState {
    /// The queue tick of a queued mutation this one would only repeat: the last queued
    /// mutation touching any of its states is identical (same type and states, no args).
    /// Multi states and args are never deduplicated.
    func duplicateTick(of type: MutationType, _ called: [Int]) -> UInt64? {
        guard !called.contains(where: { compiled.isMulti[$0] }) else { return nil }
        for item in queue.reversed() {
            let queued = item
            guard queued.job == nil, !queued.isCheck, queued.queueTick != 0 else { continue }
            guard queued.called.contains(where: called.contains) else { continue }
            let same = queued.type == type && queued.args.isEmpty && queued.error == nil
                && queued.called.count == called.count && queued.called.allSatisfy(called.contains)
            return same ? queued.queueTick : nil
        }
        return nil
    }

    /// An error must always get through: adding Exception while it is inactive (or
    /// removing it while active) ignores the queue limit.
    func exemptFromQueueLimit(_ type: MutationType, _ called: [Int]) -> Bool {
        guard called.contains(compiled.exception) else { return false }
        let active = isActive(compiled.exception)
        return type == .add ? !active : (type == .remove && active)
    }
}

/// What `submit` decided under the lock. A struct of references rather than an enum with
/// payloads, which the optimizer copies through runtime value witnesses.
struct SubmitDecision: Sendable {
    enum Action: UInt8, Sendable { case done, queued, run, nestedCheck }

    var action: Action
    var result = MutationResult.canceled
    var mutation: Mutation? = nil
    var registry: Registry? = nil

    static func done(_ result: MutationResult) -> SubmitDecision { SubmitDecision(action: .done, result: result) }
    static func queued(_ m: Mutation, _ r: Registry) -> SubmitDecision { SubmitDecision(action: .queued, mutation: m, registry: r) }
    static func run(_ m: Mutation, _ r: Registry) -> SubmitDecision { SubmitDecision(action: .run, mutation: m, registry: r) }
    static func nestedCheck(_ m: Mutation, _ r: Registry) -> SubmitDecision { SubmitDecision(action: .nestedCheck, mutation: m, registry: r) }
}
