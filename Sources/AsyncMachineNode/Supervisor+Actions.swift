import AsyncMachine

/// An operator's request to a pool: what the dashboard's keys, the operator endpoint's
/// action states and `amnode` all turn into.
public enum PoolCommand: Sendable, Equatable {
    case fork(count: Int)
    case kill(worker: String, force: Bool)
    case provide(client: String)
    case setPool(min: Int?, max: Int?, warm: Int?)
    case drain(worker: String)
    case heartbeat
}

extension Supervisor {
    /// Runs an operator's command, tells every action observer (a recorder, a dashboard's
    /// log) what came of it, and returns that.
    @discardableResult
    public func perform(_ command: PoolCommand, origin: String) -> OperatorAction {
        let started = ContinuousClock.now
        var action: OperatorAction
        switch command {
        case .fork(let count) where count < 1:
            action = OperatorAction(command, ok: false, result: "fork needs a count of 1 or more", origin: origin)
        case .fork(let count):
            let forked = forkWorkers(count)
            action = OperatorAction(command, ok: forked > 0,
                                    result: forked == count ? "forking \(count)" : "forking \(forked) of \(count): the pool is at Max \(configuration.withLock { $0.max })",
                                    origin: origin)
        case .kill(let worker, let force):
            let ok = kill(worker, force: force)
            action = OperatorAction(command, ok: ok, result: ok ? (force ? "SIGKILL sent" : "SIGTERM sent") : "no worker \(worker)", origin: origin)
        case .provide(let client):
            let result = machine.add1(.provideWorker, NodeArgs(superRpcId: NodeIds.superClient(client), workerRpcId: NodeIds.workerClient(client)).args)
            let ok = result != .canceled
            action = OperatorAction(command, ok: ok, result: ok ? "providing a worker to \(client)" : "refused (\(result))", origin: origin)
        case .setPool(let min, let max, let warm):
            let c = configuration.withLock { $0 }
            let (newMin, newMax, newWarm) = (min ?? c.min, max ?? c.max, warm ?? c.warm)
            // Refused rather than clamped, so what the operator reads is what the pool does.
            let ok = newMin >= 0 && newMax >= 1 && newWarm >= 0 && newMin <= newMax
            if ok { setPool(min: newMin, max: newMax, warm: newWarm) }
            action = OperatorAction(.setPool(min: newMin, max: newMax, warm: newWarm), ok: ok,
                                    result: ok ? "min \(newMin) max \(newMax) warm \(newWarm)"
                                        : "refused min \(newMin) max \(newMax) warm \(newWarm): sizes must be 0 <= min <= max, max >= 1, warm >= 0",
                                    origin: origin)
        case .drain(let worker):
            let ok = drain(worker)
            action = OperatorAction(command, ok: ok, result: ok ? "draining" : "no worker \(worker)", origin: origin)
        case .heartbeat:
            Task { await self.heartbeatNow() }
            action = OperatorAction(command, ok: true, result: "healthchecking every worker", origin: origin)
        }
        action.latencyMicroseconds = Int((ContinuousClock.now - started).microsecondsCount)
        for observer in state.withLock({ $0.actionObservers }) { observer(action) }
        return action
    }

    /// Calls `body` with every action ``perform(_:origin:)`` runs, and its result.
    public func observeActions(_ body: @escaping @Sendable (OperatorAction) -> Void) {
        state.withLock { $0.actionObservers.append(body) }
    }
}

extension OperatorAction {
    /// What came of `command`: its name, target and sizes, with the outcome.
    public init(_ command: PoolCommand, ok: Bool, result: String, origin: String) {
        switch command {
        case .fork(let count): self.init(name: .fork, count: count, ok: ok, result: result, origin: origin)
        case .kill(let worker, let force): self.init(name: force ? .forceKill : .kill, target: worker, ok: ok, result: result, origin: origin)
        case .provide(let client): self.init(name: .provide, target: client, ok: ok, result: result, origin: origin)
        case .setPool(let min, let max, let warm): self.init(name: .setPool, min: min, max: max, warm: warm, ok: ok, result: result, origin: origin)
        case .drain(let worker): self.init(name: .drain, target: worker, ok: ok, result: result, origin: origin)
        case .heartbeat: self.init(name: .heartbeat, ok: ok, result: result, origin: origin)
        }
    }
}
