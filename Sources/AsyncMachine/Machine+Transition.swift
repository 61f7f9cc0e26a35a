/// A handler that threw or overran the handler timeout.
struct HandlerFailure {
    let handler: String
    let error: (any Error)?

    var timedOut: Bool { error == nil }
}

extension Machine {
    /// Runs one mutation as a transition on the draining thread: resolve relations,
    /// negotiate, apply the ticks, run final handlers, queue the auto mutation.
    func runTransition(_ m: Mutation, _ env: DrainEnv) -> MutationResult {
        let d = drain
        let c = d.compiled
        let resolver = Resolver(schema: c)
        let activeBefore = d.active
        let handlers = env.handlers
        var steps: [Step]? = env.wantsSteps ? [] : nil
        d.transitionCount &+= 1
        // The transition record exists only when someone will see it: a tracer, or a
        // handler of a state this transition touches (decided after resolution).
        var tx: Transition? = nil
        func makeTransition() -> Transition {
            let tx = Transition(machineId: id, id: d.transitionCount, mutation: m, stateNames: c.names, timeBefore: d.ticks)
            if !env.tracers.isEmpty { tx.startedAt = wallClockNanoseconds() }
            return tx
        }
        if !env.tracers.isEmpty { tx = makeTransition() }
        // Take the scratch buffers out (so they are uniquely referenced) and put them back.
        var targets = d.targetsBuffer
        var enters = d.entersBuffer
        var exits = d.exitsBuffer
        d.targetsBuffer = []
        d.entersBuffer = []
        d.exitsBuffer = []
        defer {
            d.targetsBuffer = targets
            d.entersBuffer = enters
            d.exitsBuffer = exits
        }

        var resolution = resolver.resolve(
            m.type, called: m.called, isAuto: m.isAuto, active: activeBefore, into: &targets, steps: &steps)
        guard resolution.accepted else {
            if let tx {
                tx.targets = targets
                for tracer in env.tracers { tracer.transitionStart(tx) }
                end(tx, .canceled, steps, env)
            }
            return .canceled
        }
        entersAndExits(m, targets, resolution.targetSet, activeBefore, resolver, &enters, &exits, &steps)
        if tx == nil && handlers.involves(enters: enters, exits: exits) { tx = makeTransition() }
        if let tx {
            describe(tx, targets, enters, exits)
            for tracer in env.tracers { tracer.transitionStart(tx) }
        }

        if !handlers.isEmpty, let tx {
            switch negotiate(tx, m, targets, enters, exits, activeBefore, handlers, c, &steps) {
            case .accepted:
                break
            case .canceled(let failure):
                tx.isAccepted = false
                if let failure { report(failure, m, env) }
                end(tx, .canceled, steps, env)
                return .canceled
            case .partial(let rejected):
                // Auto transitions drop the vetoed Auto states and what only they implied.
                let called = m.called.filter { !rejected.contains($0) }
                resolution = resolver.resolve(
                    .add, called: called, isAuto: true, active: activeBefore, into: &targets, steps: &steps)
                guard resolution.accepted else {
                    tx.isAccepted = false
                    end(tx, .canceled, steps, env)
                    return .canceled
                }
                entersAndExits(m, targets, resolution.targetSet, activeBefore, resolver, &enters, &exits, &steps)
                describe(tx, targets, enters, exits)
            }
        }
        if m.isCheck {
            if let tx { end(tx, .executed, steps, env) }
            return .executed
        }

        // Apply: the new ticks are visible to every reader before any final handler runs.
        var active = activeBefore
        for s in exits {
            d.ticks[s] &+= 1
            active.remove(s)
        }
        for s in enters {
            d.ticks[s] &+= d.ticks[s] & 1 == 1 ? 2 : 1
            active.insert(s)
        }
        d.active = active
        publish(exits: exits, enters: enters, args: m.args)
        tx?.timeAfter = d.ticks

        var failure: HandlerFailure?
        if !handlers.isEmpty, let tx {
            failure = runFinals(tx, enters, exits, handlers, c, &steps)
            if failure != nil { tx.timeAfter = d.ticks }
        }
        if let failure { report(failure, m, env) }

        let result: MutationResult
        if failure != nil {
            result = .canceled
        } else {
            switch m.type {
            case .remove:
                result = m.called.contains(where: d.active.contains) ? .canceled : .executed
            case .add, .set:
                if m.isAuto {
                    result = d.active.count > activeBefore.count ? .executed : .canceled
                } else {
                    result = resolution.targetSet.isSubset(of: d.active) ? .executed : .canceled
                }
            }
        }

        if failure == nil && !m.isAuto && !(enters.isEmpty && exits.isEmpty) && !c.autoStates.isEmpty
            && !isHealth(m, c)
        {
            var candidates: [Int] = []
            for s in c.autoStates where !d.active.contains(s) && !c.removedBy[s].intersects(d.active) {
                candidates.append(s)
            }
            if !candidates.isEmpty {
                prepend(Mutation(type: .add, called: candidates, isAuto: true), tracers: env.tracers)
            }
        }
        if let tx { end(tx, result, steps, env) }
        return result
    }

    private func isHealth(_ m: Mutation, _ c: CompiledSchema) -> Bool {
        m.type == .add && m.called.count == 1 && (m.called[0] == c.healthcheck || m.called[0] == c.heartbeat)
    }

    private func entersAndExits(
        _ m: Mutation, _ targets: [Int], _ targetSet: StateSet, _ activeBefore: StateSet, _ resolver: Resolver,
        _ enters: inout [Int], _ exits: inout [Int], _ steps: inout [Step]?
    ) {
        let c = resolver.schema
        exits.removeAll(keepingCapacity: true)
        activeBefore.forEach { s in if !targetSet.contains(s) { exits.append(s) } }
        if exits.count > 1 { resolver.sortForHandlers(&exits, &steps) }
        enters.removeAll(keepingCapacity: true)
        for s in targets where !activeBefore.contains(s) || (c.isMulti[s] && m.type != .remove && m.called.contains(s)) {
            enters.append(s)
        }
        if steps != nil {
            for s in enters { steps!.append(Step(kind: .activate, to: s)) }
            for s in exits where !m.called.contains(s) || m.type == .remove { steps!.append(Step(kind: .deactivate, to: s)) }
        }
    }

    private func describe(_ tx: Transition, _ targets: [Int], _ enters: [Int], _ exits: [Int]) {
        tx.targets = targets
        tx.enters = enters
        tx.exits = exits
        tx.isAccepted = true
        var predicted = tx.timeBefore
        for s in exits { predicted[s] &+= 1 }
        for s in enters { predicted[s] &+= predicted[s] & 1 == 1 ? 2 : 1 }
        tx.timeAfter = predicted
    }

    /// Writes the drainer's ticks for the changed states into the shared state, and
    /// cancels the state contexts of every state whose tick changed.
    private func publish(exits: [Int], enters: [Int], args: Args) {
        let ticks = drain.ticks
        let ended = shared.withLock { s -> [StateContext] in
            for i in exits { s.ticks[i] = ticks[i] }
            for i in enters { s.ticks[i] = ticks[i] }
            if s.argsWaiters > 0 {
                s.lastEntered = StateSet(enters)
                s.lastArgs = args
            } else if !s.lastEntered.isEmpty {
                s.lastEntered = StateSet()
            }
            if s.contexts.isEmpty { return [] }
            var ended: [StateContext] = []
            for i in exits { if let ctx = s.contexts.removeValue(forKey: i) { ended.append(ctx) } }
            for i in enters { if let ctx = s.contexts.removeValue(forKey: i) { ended.append(ctx) } }
            return ended
        }
        for ctx in ended { ctx.cancel() }
    }

    private func end(_ tx: Transition, _ result: MutationResult, _ steps: [Step]?, _ env: DrainEnv) {
        tx.result = result
        // The clock after a transition that changed nothing (rejected, vetoed, a dry run) is
        // the real, unchanged one, not the prediction negotiation ran with
        // (machine-semantics.md §8.2): tracers and recordings read it as what happened.
        if !tx.isAccepted || tx.isCheck { tx.timeAfter = tx.timeBefore }
        if let steps { tx.steps = steps }
        if env.tracers.isEmpty { return }
        tx.endedAt = wallClockNanoseconds()
        for tracer in env.tracers { tracer.transitionEnd(tx) }
    }

    /// Logs a failed handler and, unless the failure happened while handling Exception
    /// itself (which would loop) or in a dry run, prepends `add Exception` with the error.
    private func report(_ failure: HandlerFailure, _ m: Mutation, _ env: DrainEnv) {
        guard let error = failure.error else {
            logger.warning("[\(id)] handler \(failure.handler) exceeded the handler timeout; transition cancelled")
            return
        }
        logger.error("[\(id)] handler \(failure.handler) threw: \(error)")
        if m.isCheck { return }
        let exception = drain.compiled.exception
        if m.called.contains(exception) { return }
        shared.withLock { $0.lastError = error }
        let args: Args = ["err": .string(String(describing: error)), "handler": .string(failure.handler)]
        prepend(Mutation(type: .add, called: [exception], args: args, error: error), tracers: env.tracers)
    }
}
