/// One state's definition: its relations to other states and its flags.
///
/// Relations are plain ordered lists of state names; the order of `require` decides the
/// order in which requirements are reported, and the order of the schema decides
/// everything else.
public struct StateSpec: Hashable, Sendable, Codable {
    /// This state can only be active while all of these are active too (checked to a fixpoint).
    public var require: [StateName]
    /// Activating this state also tries to activate these; their rejection does not cancel.
    public var add: [StateName]
    /// This state keeps these out: activating it deactivates them, and while it is
    /// active they cannot be activated.
    public var remove: [StateName]
    /// Ordering only: this state's handlers run after those of these states.
    public var after: [StateName]
    /// The machine tries to activate this state by itself after every clock change.
    public var auto: Bool
    /// Calling this state while active re-activates it: handlers run again, tick +2.
    public var multi: Bool
    /// Free-form metadata (`tag` or `tag:value`).
    public var tags: [String]

    public init(
        require: [StateName] = [], add: [StateName] = [], remove: [StateName] = [],
        after: [StateName] = [], auto: Bool = false, multi: Bool = false, tags: [String] = []
    ) {
        self.require = require
        self.add = add
        self.remove = remove
        self.after = after
        self.auto = auto
        self.multi = multi
        self.tags = tags
    }

    /// Adds the relations and flags of `overlay` to this definition (union of lists,
    /// existing order first; flags are only ever switched on).
    public func extended(by overlay: StateSpec) -> StateSpec {
        func union(_ a: [StateName], _ b: [StateName]) -> [StateName] {
            var seen = Set(a)
            return a + b.filter { seen.insert($0).inserted }
        }
        return StateSpec(
            require: union(require, overlay.require), add: union(add, overlay.add),
            remove: union(remove, overlay.remove), after: union(after, overlay.after),
            auto: auto || overlay.auto, multi: multi || overlay.multi,
            tags: Array(Set(tags).union(overlay.tags)).sorted())
    }

    /// The relation kinds this state has towards `other`, in the order add, require,
    /// remove, after.
    public func relations(to other: StateName) -> [RelationKind] {
        var kinds: [RelationKind] = []
        if add.contains(other) { kinds.append(.add) }
        if require.contains(other) { kinds.append(.require) }
        if remove.contains(other) { kinds.append(.remove) }
        if after.contains(other) { kinds.append(.after) }
        return kinds
    }
}

/// The four relations a state can have to another.
public enum RelationKind: String, Sendable, Codable, CaseIterable {
    case add, require, remove, after
}
