/// Turns called states into target states by applying the schema's relations.
///
/// The procedure (machine-semantics.md §2.3, with the deterministic choices of
/// docs/semantics.md):
/// 1. the start list: `add` = called ++ active, `remove` = active − called, `set` = called
///    (active states in state order);
/// 2. Add relations, transitively, for states that are being activated (a state that is
///    already active contributes its Add list only when it is Multi and called);
/// 3. Require, to a fixpoint: a state whose requirements are not all in the list drops;
/// 4. Remove conflicts, walking from the end: a state is blocked when a state that is not
///    blocked removes it, so earlier entries (called states first) win mutual removal;
/// 5. Require again (a blocked state may have been required), then the handler order:
///    required states before their dependents, then After.
struct Resolver {
    let schema: CompiledSchema

    struct Resolution {
        /// The targets (their order is in the list `resolve` filled).
        var targetSet: StateSet
        var accepted: Bool
    }

    /// Resolves into `list` (emptied first): the target states in handler order.
    func resolve(
        _ type: MutationType, called: [Int], isAuto: Bool, active: StateSet, into list: inout [Int],
        steps: inout [Step]?
    ) -> Resolution {
        var calledSet = StateSet()
        for s in called { calledSet.insert(s) }
        list.removeAll(keepingCapacity: true)
        var inList = StateSet()

        switch type {
        case .add:
            for s in called { list.append(s) }
            inList = calledSet
            active.forEach { s in
                if !calledSet.contains(s) {
                    list.append(s)
                    inList.insert(s)
                }
            }
        case .remove:
            active.forEach { s in
                if !calledSet.contains(s) {
                    list.append(s)
                    inList.insert(s)
                }
            }
        case .set:
            for s in called { list.append(s) }
            inList = calledSet
        }

        if steps != nil {
            for s in called { steps!.append(Step(kind: .called, to: s)) }
        }

        // 2. Add, transitively.
        let addStart = schema.addStart
        let addFlat = schema.addFlat
        var i = 0
        while i < list.count {
            let s = list[i]
            i += 1
            let from = addStart[s]
            let to = addStart[s + 1]
            if from == to { continue }
            let activating = !active.contains(s) || (schema.isMulti[s] && calledSet.contains(s))
            if !activating { continue }
            for k in from..<to {
                let t = addFlat[k]
                if inList.contains(t) || (type == .remove && calledSet.contains(t)) { continue }
                list.append(t)
                inList.insert(t)
                steps?.append(Step(kind: .relation, from: s, to: t, relation: .add))
            }
        }

        // 3. Require.
        requireFixpoint(&list, &inList, &steps)

        // 4. Remove conflicts, from the end.
        var blocked = StateSet()
        var j = list.count - 1
        while j >= 0 {
            let x = list[j]
            j -= 1
            var blockers = schema.removedBy[x]
            if blockers.isEmpty { continue }
            blockers.formIntersection(inList)
            blockers.subtract(blocked)
            if !blockers.isEmpty {
                blocked.insert(x)
                if steps != nil {
                    blockers.forEach { b in steps!.append(Step(kind: .relation, from: b, to: x, relation: .remove)) }
                    steps!.append(Step(kind: active.contains(x) ? .deactivate : .deactivatePassive, to: x))
                }
            }
        }
        if !blocked.isEmpty {
            list.removeAll { blocked.contains($0) }
            inList.subtract(blocked)
            // 5. A blocked state may have been required by a survivor.
            requireFixpoint(&list, &inList, &steps)
        }

        sortForHandlers(&list, &steps)

        let rejectedCount = calledSet.count - { var kept = calledSet; kept.formIntersection(inList); return kept.count }()
        let accepted: Bool
        switch type {
        case .remove: accepted = true
        case .add, .set: accepted = isAuto ? rejectedCount < called.count : rejectedCount == 0
        }
        if steps != nil {
            for s in called where !inList.contains(s) { steps!.append(Step(kind: .cancel, to: s)) }
        }
        return Resolution(targetSet: inList, accepted: accepted)
    }

    /// Drops states whose requirements are not all in the list, until nothing changes.
    private func requireFixpoint(_ list: inout [Int], _ inList: inout StateSet, _ steps: inout [Step]?) {
        var changed = true
        var dropped = false
        while changed {
            changed = false
            for s in list where inList.contains(s) {
                if !schema.requireSet[s].isSubset(of: inList) {
                    inList.remove(s)
                    changed = true
                    dropped = true
                    if steps != nil {
                        for r in schema.require[s] where !inList.contains(r) {
                            steps!.append(Step(kind: .relation, from: s, to: r, relation: .require))
                        }
                        steps!.append(Step(kind: .deactivatePassive, to: s))
                    }
                }
            }
        }
        if dropped { list.removeAll { !inList.contains($0) } }
    }

    /// Required states first (stable by Require rank; states outside the Require graph
    /// first, in their order), then After: a state moves behind every listed state it
    /// is After, keeping the order otherwise (a stable topological order).
    func sortForHandlers(_ list: inout [Int], _ steps: inout [Step]?) {
        if list.count < 2 { return }
        let rank = schema.requireRank
        var ranked = false
        for s in list where rank[s] >= 0 {
            ranked = true
            break
        }
        if ranked {
            // Insertion sort: stable and fast for the short lists transitions have.
            for i in 1..<list.count {
                let s = list[i]
                var j = i - 1
                while j >= 0 && rank[list[j]] > rank[s] {
                    list[j + 1] = list[j]
                    j -= 1
                }
                list[j + 1] = s
            }
        }
        guard schema.hasAfter else { return }
        var needsAfter = false
        for s in list where !schema.after[s].isEmpty {
            needsAfter = true
            break
        }
        if !needsAfter { return }
        var remaining = list
        var placed = StateSet()
        var pending = StateSet(list)
        list.removeAll(keepingCapacity: true)
        while !remaining.isEmpty {
            // The first state with no unplaced predecessor; on a cycle, the first state.
            var pick = 0
            for (k, s) in remaining.enumerated() {
                var waits = schema.after[s]
                waits.formIntersection(pending)
                if waits.isEmpty {
                    pick = k
                    break
                }
            }
            let s = remaining.remove(at: pick)
            if steps != nil {
                schema.after[s].forEach { a in
                    if placed.contains(a) { steps!.append(Step(kind: .relation, from: a, to: s, relation: .after)) }
                }
            }
            list.append(s)
            placed.insert(s)
            pending.remove(s)
        }
    }
}
