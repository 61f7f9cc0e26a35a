import OrderedCollections

/// A machine's states and their relations, in a stable order.
///
/// The order of declaration is the state order: the index every clock vector, transition
/// record and wire message uses. `Exception` is appended (as Multi) when the schema does
/// not declare it, and is always Multi.
///
/// A schema is validated when it is built; an invalid one is refused with a
/// ``SchemaError`` naming the state and the relation at fault.
public struct Schema: Sendable, Equatable, Codable {
    /// The state definitions, in state order.
    public private(set) var states: OrderedDictionary<StateName, StateSpec>

    /// Builds and validates a schema from `name: spec` pairs in state order.
    public init(_ pairs: KeyValuePairs<StateName, StateSpec>) throws(SchemaError) {
        try self.init(pairs: pairs.map { ($0.key, $0.value) })
    }

    /// Builds and validates a schema from `(name, spec)` pairs in state order.
    public init(pairs: [(StateName, StateSpec)]) throws(SchemaError) {
        var states = OrderedDictionary<StateName, StateSpec>()
        for (name, spec) in pairs {
            guard states.updateValue(spec, forKey: name) == nil else {
                throw .duplicateState(name)
            }
        }
        try self.init(validating: states)
    }

    init(validating states: OrderedDictionary<StateName, StateSpec>) throws(SchemaError) {
        var states = states
        if var exception = states[.exception] {
            exception.multi = true
            states[.exception] = exception
        } else {
            states[.exception] = StateSpec(multi: true)
        }
        try Self.validate(states)
        self.states = states
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let pairs = try container.decode([NamedSpec].self)
        try self.init(pairs: pairs.map { ($0.name, $0.spec) })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(states.map { NamedSpec(name: $0.key, spec: $0.value) })
    }

    private struct NamedSpec: Codable {
        var name: StateName
        var spec: StateSpec
    }

    /// The state names, in state order.
    public var names: [StateName] { Array(states.keys) }

    /// The number of states, `Exception` included.
    public var count: Int { states.count }

    public subscript(name: StateName) -> StateSpec? { states[name] }

    /// True when every one of `names` is defined.
    public func has(_ names: [StateName]) -> Bool { names.allSatisfy { states[$0] != nil } }

    /// The schema with `other`'s definitions on top: a state defined in both takes
    /// `other`'s whole definition (lists are not merged; see ``StateSpec/extended(by:)``);
    /// states new in `other` follow in `other`'s order.
    public func merging(_ other: Schema) throws(SchemaError) -> Schema {
        var merged = states
        for (name, spec) in other.states where !(name == .exception && merged[name] != nil && other.isImplicitException) {
            merged[name] = spec
        }
        return try Schema(validating: merged)
    }

    /// The schema with these definitions on top (see ``merging(_:)-(Schema)``). The pairs
    /// may refer to states of this schema.
    public func merging(_ pairs: KeyValuePairs<StateName, StateSpec>) throws(SchemaError) -> Schema {
        var merged = states
        var seen = Set<StateName>()
        for (name, spec) in pairs {
            guard seen.insert(name).inserted else { throw .duplicateState(name) }
            merged[name] = spec
        }
        return try Schema(validating: merged)
    }

    /// The names of the states tagged `tag` or `tag:<anything>`, in state order.
    public func names(taggedWith tag: String) -> [StateName] {
        states.compactMap { name, spec in
            spec.tags.contains { $0 == tag || $0.hasPrefix(tag + ":") } ? name : nil
        }
    }

    /// A stable 64-bit fingerprint of the schema (FNV-1a over a canonical text), equal on
    /// every machine and run for equal schemas; mirrors use it to detect schema changes.
    public var fingerprint: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            hash ^= 0xff
            hash = hash &* 0x100_0000_01b3
        }
        for (name, spec) in states {
            mix(name.rawValue)
            mix(spec.auto ? "a1" : "a0")
            mix(spec.multi ? "m1" : "m0")
            for (kind, list) in [("r", spec.require), ("d", spec.add), ("x", spec.remove), ("f", spec.after)] {
                mix(kind)
                list.forEach { mix($0.rawValue) }
            }
        }
        return hash
    }

    /// True when this schema's only definition of Exception is the implicit one, so
    /// merging it must not overwrite a base schema's richer definition.
    private var isImplicitException: Bool {
        states[.exception] == StateSpec(multi: true)
    }

    /// The most states a schema may hold (the transition path keeps state sets in a
    /// fixed-size bitset).
    public static let maximumStateCount = 256

    private static func validate(_ states: OrderedDictionary<StateName, StateSpec>) throws(SchemaError) {
        guard states.count <= maximumStateCount else { throw .tooManyStates(states.count) }
        for (name, spec) in states {
            let lists: [(RelationKind, [StateName])] = [
                (.require, spec.require), (.add, spec.add), (.remove, spec.remove), (.after, spec.after),
            ]
            for (kind, list) in lists {
                var seen = Set<StateName>()
                for target in list {
                    if target == name { throw .selfReference(state: name, relation: kind) }
                    if states[target] == nil {
                        throw .unknownState(state: name, relation: kind, target: target)
                    }
                    if !seen.insert(target).inserted {
                        throw .duplicateRelation(state: name, relation: kind, target: target)
                    }
                }
            }
            if let target = spec.require.first(where: spec.remove.contains) {
                throw .conflictingRelations(state: name, target: target, .require, .remove)
            }
            if let target = spec.add.first(where: spec.remove.contains) {
                throw .conflictingRelations(state: name, target: target, .add, .remove)
            }
        }
    }
}

/// Why a schema was refused.
public enum SchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The same state is declared twice.
    case duplicateState(StateName)
    /// A relation names a state the schema does not define.
    case unknownState(state: StateName, relation: RelationKind, target: StateName)
    /// A state names itself in one of its relations.
    case selfReference(state: StateName, relation: RelationKind)
    /// A relation list names the same state twice.
    case duplicateRelation(state: StateName, relation: RelationKind, target: StateName)
    /// One state both requires (or adds) and removes another.
    case conflictingRelations(state: StateName, target: StateName, RelationKind, RelationKind)
    /// More than ``Schema/maximumStateCount`` states.
    case tooManyStates(Int)

    public var description: String {
        switch self {
        case .duplicateState(let name):
            "schema error: state \(name) is declared twice"
        case .unknownState(let state, let relation, let target):
            "schema error: state \(state) has \(relation) \(target), but \(target) is not defined"
        case .selfReference(let state, let relation):
            "schema error: state \(state) names itself in its \(relation) relation"
        case .duplicateRelation(let state, let relation, let target):
            "schema error: state \(state) lists \(target) twice in its \(relation) relation"
        case .conflictingRelations(let state, let target, let first, let second):
            "schema error: state \(state) has both \(first) and \(second) for \(target)"
        case .tooManyStates(let count):
            "schema error: \(count) states, at most \(Schema.maximumStateCount) are supported"
        }
    }
}
