extension Machine {
    /// Runs when `state` is about to activate (or re-activate, Multi); return false to veto.
    @discardableResult
    public func onEnter(_ state: StateName, _ handler: @escaping NegotiationHandler) -> HandlerID {
        register(state) { .enter($0, handler) }
    }

    /// Runs when `state` is about to deactivate; return false to veto.
    @discardableResult
    public func onExit(_ state: StateName, _ handler: @escaping NegotiationHandler) -> HandlerID {
        register(state) { .exit($0, handler) }
    }

    /// Runs after `state` activated (or re-activated, Multi).
    @discardableResult
    public func onState(_ state: StateName, _ handler: @escaping FinalHandler) -> HandlerID {
        register(state) { .state($0, handler) }
    }

    /// Runs after `state` deactivated.
    @discardableResult
    public func onEnd(_ state: StateName, _ handler: @escaping FinalHandler) -> HandlerID {
        register(state) { .end($0, handler) }
    }

    /// Negotiation for a pair: `from` is active and `to` is being activated. With
    /// `from == to`, the self handler: `from` is active and stays in the targets of an
    /// add or set (it also runs for Multi re-entry).
    @discardableResult
    public func on(from: StateName, to: StateName, _ handler: @escaping NegotiationHandler) -> HandlerID {
        let ids = shared.withLock { s -> (UInt64, Int?, Int?) in
            let f = s.compiled.index[from]
            let t = s.compiled.index[to]
            let id = s.makeId()
            if let f, let t { s.addHandler(.pair(f, t, handler), id: id) }
            return (id, f, t)
        }
        if ids.1 == nil { logUnknownHandlerState(from) }
        if ids.2 == nil { logUnknownHandlerState(to) }
        return HandlerID(value: ids.0)
    }

    /// The last negotiation step of every transition; return false to veto.
    @discardableResult
    public func onAnyEnter(_ handler: @escaping NegotiationHandler) -> HandlerID {
        shared.withLock { s in
            let id = s.makeId()
            s.addHandler(.anyEnter(handler), id: id)
            return HandlerID(value: id)
        }
    }

    /// The last final step of every accepted transition.
    @discardableResult
    public func onAnyState(_ handler: @escaping FinalHandler) -> HandlerID {
        shared.withLock { s in
            let id = s.makeId()
            s.addHandler(.anyState(handler), id: id)
            return HandlerID(value: id)
        }
    }

    /// Unregisters a handler; false when it was not registered.
    @discardableResult
    public func removeHandler(_ id: HandlerID) -> Bool {
        shared.withLock { s in
            var handlers = s.registry.handlers
            guard handlers.remove(id: id.value) else { return false }
            s.registry = s.registry.with(handlers: handlers)
            return true
        }
    }

    private func register(_ state: StateName, _ make: (Int) -> HandlerTable.Kind) -> HandlerID {
        let (id, known) = shared.withLock { s -> (UInt64, Bool) in
            let id = s.makeId()
            guard let i = s.compiled.index[state] else { return (id, false) }
            s.addHandler(make(i), id: id)
            return (id, true)
        }
        if !known { logUnknownHandlerState(state) }
        return HandlerID(value: id)
    }

    private func logUnknownHandlerState(_ state: StateName) {
        logger.error("[\(id)] handler for \(state) not registered: \(MachineError.unknownState(state))")
    }
}

extension SharedState {
    mutating func addHandler(_ kind: HandlerTable.Kind, id: UInt64) {
        var handlers = registry.handlers
        handlers.add(kind, id: id)
        registry = registry.with(handlers: handlers)
    }
}
