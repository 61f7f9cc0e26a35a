extension Machine {
    /// Moves this machine's clock to `ticks` (a remote machine's, in this machine's state
    /// order) and its queue tick to `queueTick`, as one synthetic `set` transition: no
    /// relations or negotiation (the remote machine already decided), but End handlers of
    /// deactivated states, State handlers of activated (or re-activated) ones, AnyState,
    /// tracers, state contexts and waiters all work as for a local transition. This is
    /// what aRPC mirrors (`NetMachine`) are built on. A list of the wrong length is
    /// ignored (and logged).
    package func applyRemoteClock(_ ticks: [UInt64], queueTick: UInt64) {
        let decision = shared.withLock { s -> Registry? in
            guard !s.isDisposed else { return nil }
            if s.draining {
                s.queue.append(Mutation(type: .set, called: [], job: .clock(ticks: ticks, queueTick: queueTick)))
                return nil
            }
            s.draining = true
            s.drainer = currentThread()
            return s.registry
        }
        guard let registry = decision else { return }
        runRemoteClock(ticks, queueTick: queueTick, registry)
        drainQueue()
    }

    func runRemoteClock(_ ticks: [UInt64], queueTick: UInt64, _ env: DrainEnv) {
        let d = drain
        let c = d.compiled
        guard ticks.count == c.count else {
            logger.error("[\(id)] remote clock of \(ticks.count) ticks ignored: the machine has \(c.count) states")
            return
        }
        // Clocks arrive coalesced, so one update can hold several changes of a state:
        // - inactive -> active, or Multi re-entry: enter;
        // - active -> inactive: exit;
        // - a non-Multi state active before and after with a moved tick went off and on: exit, then enter;
        // - inactive before and after with a moved tick was a pulse (on, then off): its
        //   State and End handlers run after the others, so an End is never missed.
        var enters: [Int] = []
        var exits: [Int] = []
        var pulses: [Int] = []
        var active = StateSet()
        for i in 0..<c.count {
            let old = d.ticks[i]
            let new = ticks[i]
            if new & 1 == 1 { active.insert(i) }
            guard old != new else { continue }
            switch (old & 1 == 1, new & 1 == 1) {
            case (false, true): enters.append(i)
            case (true, false): exits.append(i)
            case (true, true):
                if !c.isMulti[i] { exits.append(i) }
                enters.append(i)
            case (false, false): pulses.append(i)
            }
        }
        let resolver = Resolver(schema: c)
        var noSteps: [Step]? = nil
        resolver.sortForHandlers(&enters, &noSteps)
        resolver.sortForHandlers(&exits, &noSteps)
        d.transitionCount &+= 1
        let handlers = env.handlers
        var tx: Transition? = nil
        if !env.tracers.isEmpty || handlers.involves(enters: enters + pulses, exits: exits + pulses) {
            let mutation = Mutation(type: .set, called: active.sorted)
            let t = Transition(machineId: id, id: d.transitionCount, mutation: mutation, stateNames: c.names, timeBefore: d.ticks)
            t.targets = active.sorted
            // A pulse was both entered and exited since the last clock.
            t.enters = enters + pulses
            t.exits = exits + pulses
            t.isAccepted = true
            t.timeAfter = ticks
            if !env.tracers.isEmpty { t.startedAt = wallClockNanoseconds() }
            for tracer in env.tracers { tracer.transitionStart(t) }
            tx = t
        }
        d.ticks = ticks
        d.active = active
        let ended = shared.withLock { s -> [StateContext] in
            s.ticks = ticks
            s.queueTick = queueTick
            s.processedTick = queueTick
            var ended: [StateContext] = []
            for i in exits { if let ctx = s.contexts.removeValue(forKey: i) { ended.append(ctx) } }
            for i in enters { if let ctx = s.contexts.removeValue(forKey: i) { ended.append(ctx) } }
            return ended
        }
        for ctx in ended { ctx.cancel() }
        guard let tx else { return }
        var steps: [Step]? = nil
        // The remote machine already made the change: a failing handler here is logged
        // and reverts nothing, or the mirror would disagree with its source.
        if !handlers.isEmpty {
            let failures = [
                runFinals(tx, enters, exits, handlers, c, &steps, revertOnFailure: false, anyState: pulses.isEmpty),
                pulses.isEmpty ? nil : runFinals(tx, pulses, [], handlers, c, &steps, revertOnFailure: false, anyState: false),
                pulses.isEmpty ? nil : runFinals(tx, [], pulses, handlers, c, &steps, revertOnFailure: false),
            ]
            for failure in failures.compactMap({ $0 }) {
                logger.error("[\(id)] handler \(failure.handler) of a mirrored transition failed: \(failure.error.map { "\($0)" } ?? "timeout")")
            }
        }
        tx.result = .executed
        if !env.tracers.isEmpty {
            tx.endedAt = wallClockNanoseconds()
            for tracer in env.tracers { tracer.transitionEnd(tx) }
        }
    }
}
