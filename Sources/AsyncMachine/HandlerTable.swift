/// The registered handlers of a machine, indexed by state for the transition path.
/// A value type: the drainer takes a snapshot per mutation, registration copies on write.
struct HandlerTable: Sendable {
    struct Entry<H: Sendable>: Sendable {
        let id: UInt64
        let body: H
    }

    var enter: [[Entry<NegotiationHandler>]]
    var exit: [[Entry<NegotiationHandler>]]
    var state: [[Entry<FinalHandler>]]
    var end: [[Entry<FinalHandler>]]
    /// Keyed by `from * stateCount + to`.
    var pair: [Int: [Entry<NegotiationHandler>]] = [:]
    var anyEnter: [Entry<NegotiationHandler>] = []
    var anyState: [Entry<FinalHandler>] = []
    private(set) var stateCount: Int
    /// Total registrations; 0 means a transition can skip every handler phase.
    private(set) var count = 0

    init(stateCount: Int) {
        self.stateCount = stateCount
        enter = Array(repeating: [], count: stateCount)
        exit = enter
        state = Array(repeating: [], count: stateCount)
        end = state
    }

    var isEmpty: Bool { count == 0 }

    /// True when a transition with these enters and exits has any handler to run.
    func involves(enters: [Int], exits: [Int]) -> Bool {
        if count == 0 { return false }
        if !anyEnter.isEmpty || !anyState.isEmpty || !pair.isEmpty { return true }
        for s in enters where !enter[s].isEmpty || !state[s].isEmpty { return true }
        for s in exits where !exit[s].isEmpty || !end[s].isEmpty { return true }
        return false
    }

    /// Grows the per-state tables after the schema grew; pair keys are re-based.
    mutating func resize(to newCount: Int) {
        guard newCount > stateCount else { return }
        let extra = newCount - stateCount
        enter += Array(repeating: [], count: extra)
        exit += Array(repeating: [], count: extra)
        state += Array(repeating: [], count: extra)
        end += Array(repeating: [], count: extra)
        var rebased: [Int: [Entry<NegotiationHandler>]] = [:]
        for (key, list) in pair {
            rebased[(key / stateCount) * newCount + key % stateCount] = list
        }
        pair = rebased
        stateCount = newCount
    }

    func pairKey(_ from: Int, _ to: Int) -> Int { from * stateCount + to }

    mutating func add(_ kind: Kind, id: UInt64) {
        count += 1
        switch kind {
        case .enter(let s, let h): enter[s].append(Entry(id: id, body: h))
        case .exit(let s, let h): exit[s].append(Entry(id: id, body: h))
        case .state(let s, let h): state[s].append(Entry(id: id, body: h))
        case .end(let s, let h): end[s].append(Entry(id: id, body: h))
        case .pair(let from, let to, let h): pair[pairKey(from, to), default: []].append(Entry(id: id, body: h))
        case .anyEnter(let h): anyEnter.append(Entry(id: id, body: h))
        case .anyState(let h): anyState.append(Entry(id: id, body: h))
        }
    }

    /// Removes the registration `id`; false when it was not registered.
    mutating func remove(id: UInt64) -> Bool {
        func drop<H>(_ list: inout [Entry<H>]) -> Bool {
            guard let i = list.firstIndex(where: { $0.id == id }) else { return false }
            list.remove(at: i)
            return true
        }
        var found = false
        for i in 0..<stateCount where !found {
            found = drop(&enter[i]) || drop(&exit[i]) || drop(&state[i]) || drop(&end[i])
        }
        if !found {
            for key in Array(pair.keys) where !found {
                if var list = pair[key], drop(&list) {
                    pair[key] = list.isEmpty ? nil : list
                    found = true
                }
            }
        }
        if !found { found = drop(&anyEnter) || drop(&anyState) }
        if found { count -= 1 }
        return found
    }

    enum Kind {
        case enter(Int, NegotiationHandler)
        case exit(Int, NegotiationHandler)
        case state(Int, FinalHandler)
        case end(Int, FinalHandler)
        case pair(Int, Int, NegotiationHandler)
        case anyEnter(NegotiationHandler)
        case anyState(FinalHandler)
    }
}

/// The handlers and tracers of a machine as one immutable snapshot: the drainer takes a
/// single reference per mutation; registering makes a new snapshot.
final class Registry: Sendable {
    let handlers: HandlerTable
    let tracers: [any Tracer]
    let wantsSteps: Bool

    init(handlers: HandlerTable, tracers: [any Tracer]) {
        self.handlers = handlers
        self.tracers = tracers
        self.wantsSteps = tracers.contains { $0.wantsSteps }
    }

    func with(handlers: HandlerTable) -> Registry { Registry(handlers: handlers, tracers: tracers) }
    func with(tracers: [any Tracer]) -> Registry { Registry(handlers: handlers, tracers: tracers) }
}
