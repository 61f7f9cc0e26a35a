#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One processed mutation: what was called, what the relations resolved it to, which
/// handlers ran, and the clock before and after.
///
/// Tracers receive it at start and at end; handlers reach it through ``Event``. It is only
/// written by the thread draining the machine's queue, and is read-only after
/// ``Tracer/transitionEnd(_:)``.
public final class Transition: @unchecked Sendable {
    public let machineId: String
    /// Sequence number of this transition in its machine, starting at 1.
    public let id: UInt64
    public let mutation: Mutation
    /// The machine's state order when this transition ran (what every index refers to).
    public let stateNames: [StateName]
    /// Ticks of every state, in state order, before the transition.
    public let timeBefore: [UInt64]
    /// Ticks after the transition: predicted during negotiation, real afterwards.
    @exclusivity(unchecked) public internal(set) var timeAfter: [UInt64]
    /// The resolved target states, in handler order.
    @exclusivity(unchecked) public internal(set) var targets: [Int] = []
    /// States being activated (or re-activated, Multi), in handler order.
    @exclusivity(unchecked) public internal(set) var enters: [Int] = []
    /// States being deactivated, in handler order.
    @exclusivity(unchecked) public internal(set) var exits: [Int] = []
    /// Relations and every negotiation handler agreed.
    @exclusivity(unchecked) public internal(set) var isAccepted = false
    /// The outcome; nil until the transition ends.
    @exclusivity(unchecked) public internal(set) var result: MutationResult?
    /// Relation, handler and activation steps (only when a tracer asks for them).
    @exclusivity(unchecked) public internal(set) var steps: [Step] = []
    /// Wall-clock start and end, nanoseconds since the Unix epoch (recorded when a tracer
    /// is attached; 0 otherwise).
    @exclusivity(unchecked) public internal(set) var startedAt: UInt64 = 0
    @exclusivity(unchecked) public internal(set) var endedAt: UInt64 = 0

    init(machineId: String, id: UInt64, mutation: Mutation, stateNames: [StateName], timeBefore: [UInt64]) {
        self.machineId = machineId
        self.id = id
        self.mutation = mutation
        self.stateNames = stateNames
        self.timeBefore = timeBefore
        self.timeAfter = timeBefore
    }

    public var type: MutationType { mutation.type }
    public var args: Args { mutation.args }
    public var isAuto: Bool { mutation.isAuto }
    public var isCheck: Bool { mutation.isCheck }
    public var calledStates: [StateName] { names(mutation.called) }
    public var targetStates: [StateName] { names(targets) }
    public var enteredStates: [StateName] { names(enters) }
    public var exitedStates: [StateName] { names(exits) }
    /// Active states before the transition, in state order.
    public var statesBefore: [StateName] { activeNames(timeBefore) }
    /// Active states after the transition, in state order.
    public var statesAfter: [StateName] { activeNames(timeAfter) }

    private func names(_ indexes: [Int]) -> [StateName] { indexes.map { stateNames[$0] } }

    private func activeNames(_ time: [UInt64]) -> [StateName] {
        time.indices.compactMap { time[$0] & 1 == 1 ? stateNames[$0] : nil }
    }
}

/// One step of a transition, for tracers that record how a result came about.
public struct Step: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// A called state.
        case called
        /// A state activated (`to`).
        case activate
        /// A state deactivated because it was removed (`to`).
        case deactivate
        /// A state dropped because a requirement was missing (`to`, requirement in `from`).
        case deactivatePassive
        /// A relation applied: `from` <relation> `to`.
        case relation
        /// A handler ran (`handler`).
        case handler
        /// A called state was rejected (`to`).
        case cancel
    }

    public var kind: Kind
    public var from: Int?
    public var to: Int?
    public var relation: RelationKind?
    public var handler: String?

    public init(kind: Kind, from: Int? = nil, to: Int? = nil, relation: RelationKind? = nil, handler: String? = nil) {
        self.kind = kind
        self.from = from
        self.to = to
        self.relation = relation
        self.handler = handler
    }

    public var description: String {
        let from = self.from.map(String.init) ?? "-"
        let to = self.to.map(String.init) ?? "-"
        switch kind {
        case .relation: return "\(from) \(relation?.rawValue ?? "?") \(to)"
        case .handler: return "handler \(handler ?? "?")"
        default: return "\(kind.rawValue) \(to)"
        }
    }
}

/// Monotonic time in nanoseconds at the kernel tick's resolution (a few ms): cheap enough
/// to read around every handler, and precise enough for a timeout of 100 ms.
@inline(__always)
func coarseMonotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    #if os(Linux)
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
    #else
    clock_gettime(CLOCK_MONOTONIC, &ts)
    #endif
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
