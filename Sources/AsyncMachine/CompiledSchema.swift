/// A schema turned into index form for the transition path: relation lists as state
/// indexes and bitsets, the inverse Remove relation, and the Require topology.
final class CompiledSchema: Sendable {
    let schema: Schema
    let names: [StateName]
    let index: NameIndex
    let require: [[Int]]
    let requireSet: [StateSet]
    let add: [[Int]]
    /// Add lists flattened: state `s` adds `addFlat[addStart[s]..<addStart[s + 1]]`. The
    /// resolver reads these so it never copies an inner array.
    let addFlat: [Int]
    let addStart: [Int]
    /// `[i]` for every state: the called list of a one-state mutation, shared.
    let singletons: [[Int]]
    let remove: [[Int]]
    let removeSet: [StateSet]
    /// For each state, the states whose Remove lists it.
    let removedBy: [StateSet]
    let after: [StateSet]
    let isMulti: [Bool]
    let isAuto: [Bool]
    let multiSet: StateSet
    let autoStates: [Int]
    /// Position in the Require topology (required states first); -1 for states with no
    /// Require edge at all, which sort first and keep their relative order.
    let requireRank: [Int]
    let hasAfter: Bool
    let exception: Int
    let start: Int?
    let healthcheck: Int?
    let heartbeat: Int?

    var count: Int { names.count }

    init(_ schema: Schema) {
        self.schema = schema
        let names = schema.names
        self.names = names
        let index = NameIndex(names)
        self.index = index
        // Validation guarantees every relation target exists.
        func indexes(_ list: [StateName]) -> [Int] { list.compactMap { index[$0] } }
        let specs = Array(schema.states.values)
        require = specs.map { indexes($0.require) }
        requireSet = require.map(StateSet.init)
        add = specs.map { indexes($0.add) }
        addFlat = add.flatMap { $0 }
        addStart = add.reduce(into: [0]) { starts, list in starts.append(starts.last! + list.count) }
        singletons = names.indices.map { [$0] }
        remove = specs.map { indexes($0.remove) }
        removeSet = remove.map(StateSet.init)
        var removedBy = Array(repeating: StateSet(), count: names.count)
        for (owner, targets) in remove.enumerated() {
            for target in targets { removedBy[target].insert(owner) }
        }
        self.removedBy = removedBy
        after = specs.map { StateSet(indexes($0.after)) }
        hasAfter = specs.contains { !$0.after.isEmpty }
        isMulti = specs.map(\.multi)
        isAuto = specs.map(\.auto)
        multiSet = StateSet(specs.indices.filter { specs[$0].multi })
        autoStates = specs.indices.filter { specs[$0].auto }
        exception = index[.exception] ?? 0
        start = index[.start]
        healthcheck = index[.healthcheck]
        heartbeat = index[.heartbeat]
        requireRank = Self.requireTopology(require)
    }

    /// Depth-first post-order over Require edges, started from each state in state order,
    /// so the ranking is the same on every run. A back edge (a Require cycle) is skipped.
    private static func requireTopology(_ require: [[Int]]) -> [Int] {
        var inGraph = Array(repeating: false, count: require.count)
        for (state, required) in require.enumerated() where !required.isEmpty {
            inGraph[state] = true
            for r in required { inGraph[r] = true }
        }
        var rank = Array(repeating: -1, count: require.count)
        var visiting = Array(repeating: false, count: require.count)
        var next = 0
        func visit(_ state: Int) {
            if rank[state] >= 0 || visiting[state] { return }
            visiting[state] = true
            for r in require[state] { visit(r) }
            visiting[state] = false
            rank[state] = next
            next += 1
        }
        for state in require.indices where inGraph[state] { visit(state) }
        return rank
    }

    /// Indexes for names, or the first unknown name.
    func indexes(of states: [StateName]) -> Result<[Int], MachineError> {
        var result: [Int] = []
        result.reserveCapacity(states.count)
        for name in states {
            guard let i = index[name] else { return .failure(.unknownState(name)) }
            if !result.contains(i) { result.append(i) }
        }
        return .success(result)
    }
}
