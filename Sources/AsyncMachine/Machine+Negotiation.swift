extension Machine {
    enum Negotiation {
        case accepted
        case canceled(HandlerFailure?)
        /// An auto transition in which handlers vetoed these Auto states.
        case partial(StateSet)
    }

    private enum Verdict {
        case yes, no
        case failed(HandlerFailure)
    }

    /// The negotiation phase (machine-semantics.md §3.2): Exit, Enter, self, pair, then
    /// AnyEnter. Any `false` cancels, except in an auto transition, where a veto for an
    /// Auto state only drops that state.
    func negotiate(
        _ tx: Transition, _ m: Mutation, _ targets: [Int], _ enters: [Int], _ exits: [Int],
        _ activeBefore: StateSet, _ handlers: HandlerTable, _ c: CompiledSchema, _ steps: inout [Step]?
    ) -> Negotiation {
        var rejected = StateSet()
        let names = c.names

        for s in exits where !handlers.exit[s].isEmpty {
            switch call(handlers.exit[s], .exit(names[s]), tx, &steps) {
            case .yes: continue
            case .no: return cancel(tx, by: .exit(names[s]))
            case .failed(let failure): return .canceled(failure)
            }
        }

        /// A veto for state `s`: drops it in auto transitions when it is Auto.
        func veto(_ s: Int, _ kind: HandlerKind) -> Negotiation? {
            if m.isAuto && c.isAuto[s] {
                rejected.insert(s)
                return nil
            }
            return cancel(tx, by: kind)
        }

        for s in enters where !handlers.enter[s].isEmpty {
            switch call(handlers.enter[s], .enter(names[s]), tx, &steps) {
            case .yes: continue
            case .no: if let outcome = veto(s, .enter(names[s])) { return outcome }
            case .failed(let failure): return .canceled(failure)
            }
        }

        if !handlers.pair.isEmpty {
            if m.type != .remove {
                for s in targets where activeBefore.contains(s) {
                    guard let list = handlers.pair[handlers.pairKey(s, s)] else { continue }
                    let kind = HandlerKind.pair(from: names[s], to: names[s])
                    switch call(list, kind, tx, &steps) {
                    case .yes: continue
                    case .no: if let outcome = veto(s, kind) { return outcome }
                    case .failed(let failure): return .canceled(failure)
                    }
                }
            }
            for from in activeBefore.sorted {
                for to in enters where to != from {
                    guard let list = handlers.pair[handlers.pairKey(from, to)] else { continue }
                    let kind = HandlerKind.pair(from: names[from], to: names[to])
                    switch call(list, kind, tx, &steps) {
                    case .yes: continue
                    case .no: if let outcome = veto(to, kind) { return outcome }
                    case .failed(let failure): return .canceled(failure)
                    }
                }
            }
        }

        if m.isAuto && !rejected.isEmpty && m.called.allSatisfy(rejected.contains) {
            return .canceled(nil)
        }

        if !handlers.anyEnter.isEmpty {
            switch call(handlers.anyEnter, .anyEnter, tx, &steps) {
            case .yes: break
            case .no: return cancel(tx, by: .anyEnter)
            case .failed(let failure): return .canceled(failure)
            }
        }
        return rejected.isEmpty ? .accepted : .partial(rejected)
    }

    private func cancel(_ tx: Transition, by kind: HandlerKind) -> Negotiation {
        logger.debug("[\(id)] [cancel] (\(tx.targetStates.map(\.rawValue).joined(separator: " "))) by \(kind)")
        return .canceled(nil)
    }

    /// The final phase: End for exits, then State for enters, then AnyState. A State
    /// handler that fails deactivates its state and every state entered after it; an End
    /// handler that fails reverts nothing. Returns the first failure.
    func runFinals(
        _ tx: Transition, _ enters: [Int], _ exits: [Int], _ handlers: HandlerTable,
        _ c: CompiledSchema, _ steps: inout [Step]?, revertOnFailure: Bool = true, anyState: Bool = true
    ) -> HandlerFailure? {
        let names = c.names
        var failure: HandlerFailure?
        for s in exits where !handlers.end[s].isEmpty {
            if let f = callFinal(handlers.end[s], .end(names[s]), tx, &steps), failure == nil { failure = f }
        }
        for (k, s) in enters.enumerated() where !handlers.state[s].isEmpty {
            if let f = callFinal(handlers.state[s], .state(names[s]), tx, &steps) {
                if failure == nil { failure = f }
                if !revertOnFailure { continue }
                revert(Array(enters[k...]))
                break
            }
        }
        if anyState && failure == nil && !handlers.anyState.isEmpty {
            failure = callFinal(handlers.anyState, .anyState, tx, &steps)
        }
        return failure
    }

    /// Deactivates states entered by a transition whose final phase failed.
    private func revert(_ states: [Int]) {
        let d = drain
        var reverted: [Int] = []
        for s in states where d.ticks[s] & 1 == 1 {
            d.ticks[s] &+= 1
            d.active.remove(s)
            reverted.append(s)
        }
        let ticks = d.ticks
        let ended = shared.withLock { s -> [StateContext] in
            for i in reverted { s.ticks[i] = ticks[i] }
            return reverted.compactMap { s.contexts.removeValue(forKey: $0) }
        }
        for ctx in ended { ctx.cancel() }
    }

    private func call(
        _ list: [HandlerTable.Entry<NegotiationHandler>], _ kind: HandlerKind, _ tx: Transition, _ steps: inout [Step]?
    ) -> Verdict {
        let event = Event(machine: self, transition: tx, kind: kind)
        for entry in list {
            steps?.append(Step(kind: .handler, handler: kind.description))
            let started = handlerTimeoutNanos == nil ? 0 : coarseMonotonicNanoseconds()
            let ok: Bool
            do {
                ok = try entry.body(event)
            } catch {
                return .failed(HandlerFailure(handler: kind.description, error: error))
            }
            if let limit = handlerTimeoutNanos, coarseMonotonicNanoseconds() &- started > limit {
                return .failed(HandlerFailure(handler: kind.description, error: nil))
            }
            if !ok { return .no }
        }
        return .yes
    }

    private func callFinal(
        _ list: [HandlerTable.Entry<FinalHandler>], _ kind: HandlerKind, _ tx: Transition, _ steps: inout [Step]?
    ) -> HandlerFailure? {
        let event = Event(machine: self, transition: tx, kind: kind)
        for entry in list {
            steps?.append(Step(kind: .handler, handler: kind.description))
            let started = handlerTimeoutNanos == nil ? 0 : coarseMonotonicNanoseconds()
            do {
                try entry.body(event)
            } catch {
                return HandlerFailure(handler: kind.description, error: error)
            }
            if let limit = handlerTimeoutNanos, coarseMonotonicNanoseconds() &- started > limit {
                return HandlerFailure(handler: kind.description, error: nil)
            }
        }
        return nil
    }
}
