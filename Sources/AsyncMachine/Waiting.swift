/// What a waiter waits for; checked after every processed mutation.
enum WaitCondition: Sendable {
    case all(StateSet)
    case none(StateSet)
    case any(StateSet)
    /// For each state, its tick is at least the given value.
    case ticks([(Int, UInt64)])
    case queueTick(UInt64)
    /// The last transition entered the state with args containing these.
    case args(Int, Args)
    /// A predicate over the clock.
    case query(@Sendable ([StateName: UInt64]) -> Bool)

    func isSatisfied(_ s: SharedState) -> Bool {
        switch self {
        case .args(let state, let args):
            return s.lastEntered.contains(state) && s.lastArgs.contains(args)
        case .query(let predicate):
            var clock: [StateName: UInt64] = [:]
            for (i, name) in s.compiled.names.enumerated() { clock[name] = s.ticks[i] }
            return predicate(clock)
        case .all(let set):
            var ok = true
            set.forEach { if !s.isActive($0) { ok = false } }
            return ok
        case .none(let set):
            var ok = true
            set.forEach { if s.isActive($0) { ok = false } }
            return ok
        case .any(let set):
            var ok = false
            set.forEach { if s.isActive($0) { ok = true } }
            return ok
        case .ticks(let pairs):
            return pairs.allSatisfy { s.ticks[$0.0] >= $0.1 }
        case .queueTick(let tick):
            return s.processedTick >= tick
        }
    }
}

struct Waiter: Sendable {
    let condition: WaitCondition
    let continuation: CheckedContinuation<Void, any Error>
}

extension SharedState {
    /// Removes and returns every waiter whose condition now holds.
    mutating func takeSatisfiedWaiters() -> [Waiter] {
        var ready: [Waiter] = []
        for (id, waiter) in waiters where waiter.condition.isSatisfied(self) {
            ready.append(waiter)
            waiters[id] = nil
            if case .args = waiter.condition { argsWaiters -= 1 }
        }
        return ready
    }
}

extension Machine {
    /// Waits until all of `states` are active at once. Level-triggered: returns at once
    /// when they already are. Throws `CancellationError` when the task is cancelled,
    /// ``MachineError/timeout`` after `timeout`, ``MachineError/disposed`` on disposal.
    public func when(_ states: [StateName], timeout: Duration? = nil) async throws {
        try await wait(timeout) { s in .all(try s.set(states)) }
    }

    public func when1(_ state: StateName, timeout: Duration? = nil) async throws {
        try await when([state], timeout: timeout)
    }

    /// Waits until none of `states` is active.
    public func whenNot(_ states: [StateName], timeout: Duration? = nil) async throws {
        try await wait(timeout) { s in .none(try s.set(states)) }
    }

    public func whenNot1(_ state: StateName, timeout: Duration? = nil) async throws {
        try await whenNot([state], timeout: timeout)
    }

    /// Waits until at least one of `states` is active.
    public func whenAny(_ states: [StateName], timeout: Duration? = nil) async throws {
        try await wait(timeout) { s in .any(try s.set(states)) }
    }

    /// Waits until the tick of each of `states` reaches the matching value of `ticks`.
    public func whenTime(_ states: [StateName], _ ticks: [UInt64], timeout: Duration? = nil) async throws {
        guard states.count == ticks.count, !states.isEmpty else {
            throw ArgsError.invalid(key: "ticks", reason: "must have one tick per state")
        }
        try await wait(timeout) { s in
            .ticks(try zip(states, ticks).map { name, tick in
                guard let i = s.compiled.index[name] else { throw MachineError.unknownState(name) }
                return (i, tick)
            })
        }
    }

    /// Waits until `state` has ticked `n` more times than now (an activation and a
    /// deactivation are one tick each; a Multi re-activation is two).
    public func whenTicks(_ state: StateName, _ n: UInt64, timeout: Duration? = nil) async throws {
        try await wait(timeout) { s in
            guard let i = s.compiled.index[state] else { throw MachineError.unknownState(state) }
            return .ticks([(i, s.ticks[i] &+ n)])
        }
    }

    /// Waits until a transition activates (or re-activates) `state` with args that
    /// contain `args`. Edge-triggered: an activation before the call does not count.
    public func whenArgs(_ state: StateName, _ args: Args, timeout: Duration? = nil) async throws {
        try await wait(timeout, edgeTriggered: true) { s in
            guard let i = s.compiled.index[state] else { throw MachineError.unknownState(state) }
            s.argsWaiters += 1
            return .args(i, args)
        }
    }

    /// Waits until `predicate` holds for the clock (ticks by state name); re-evaluated
    /// after every processed mutation.
    public func whenQuery(timeout: Duration? = nil, _ predicate: @escaping @Sendable ([StateName: UInt64]) -> Bool)
        async throws
    {
        try await wait(timeout) { _ in .query(predicate) }
    }

    /// Waits until Exception is active.
    public func whenErr(timeout: Duration? = nil) async throws {
        try await when([.exception], timeout: timeout)
    }

    /// Waits until the mutation that returned `.queued(tick)` has been processed
    /// (executed or not) and its transition has finished.
    public func whenQueue(_ tick: UInt64, timeout: Duration? = nil) async throws {
        try await wait(timeout) { _ in .queueTick(tick) }
    }

    /// Waits until the machine is disposed.
    public func whenDisposed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { s -> Bool in
                if s.isDisposed { return true }
                s.disposedWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Registers a waiter, or returns at once when its condition holds. A cancelled or
    /// timed-out waiter removes only itself.
    private func wait(
        _ timeout: Duration?, edgeTriggered: Bool = false, _ makeCondition: (inout SharedState) throws -> WaitCondition
    ) async throws {
        let (id, condition) = try shared.withLock { s -> (UInt64, WaitCondition) in
            if s.isDisposed { throw MachineError.disposed }
            return (s.makeId(), try makeCondition(&s))
        }
        let timer = timeout.map { timeout in
            Task { [weak self] in
                try await Task.sleep(for: timeout)
                self?.abandonWaiter(id, with: MachineError.timeout)
            }
        }
        defer { timer?.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate = shared.withLock { s -> Result<Void, any Error>? in
                    if let error = s.abandonedWaiters.removeValue(forKey: id) { return .failure(error) }
                    if s.isDisposed { return .failure(MachineError.disposed) }
                    if !edgeTriggered && condition.isSatisfied(s) { return .success(()) }
                    s.waiters[id] = Waiter(condition: condition, continuation: continuation)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            abandonWaiter(id, with: CancellationError())
        }
    }

    private func abandonWaiter(_ id: UInt64, with error: any Error) {
        let waiter = shared.withLock { s -> Waiter? in
            if let waiter = s.waiters.removeValue(forKey: id) {
                if case .args = waiter.condition { s.argsWaiters -= 1 }
                return waiter
            }
            s.abandonedWaiters[id] = error
            return nil
        }
        waiter?.continuation.resume(throwing: error)
    }
}

extension SharedState {
    func set(_ names: [StateName]) throws -> StateSet {
        var set = StateSet()
        for name in names {
            guard let i = compiled.index[name] else { throw MachineError.unknownState(name) }
            set.insert(i)
        }
        return set
    }
}
