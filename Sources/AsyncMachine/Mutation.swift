/// What a mutation does with its called states.
public enum MutationType: String, Sendable, Codable, CaseIterable {
    /// Activate the called states, keeping the active ones.
    case add
    /// Deactivate the called states.
    case remove
    /// Make the called states the only active ones.
    case set
}

/// The result of a mutation call.
public enum MutationResult: Sendable, Equatable, CustomStringConvertible {
    /// The transition ran and the called states are in the wanted state.
    case executed
    /// Relations or a handler rejected the transition (or the machine is disposed).
    case canceled
    /// Another transition is running; the mutation runs when the queue reaches this
    /// queue tick (`Machine.whenQueue(_:)` waits for it).
    case queued(UInt64)
    /// The call was invalid (for example an unknown state) and nothing was queued.
    case failed(MachineError)

    /// The Go numbering: Executed 0, Canceled 1, a queued result is its tick (>= 2).
    public var rawValue: Int {
        switch self {
        case .executed: 0
        case .canceled, .failed: 1
        case .queued(let tick): Int(clamping: tick)
        }
    }

    public var description: String {
        switch self {
        case .executed: "executed"
        case .canceled: "canceled"
        case .queued(let tick): "queued(\(tick))"
        case .failed(let error): "failed(\(error))"
        }
    }
}

/// Where a mutation came from, when it was caused by another machine's transition.
public struct MutationSource: Sendable, Hashable, Codable {
    public var machineId: String
    public var transitionId: UInt64
    /// The source machine's time (sum of ticks) before that transition.
    public var machineTime: UInt64

    public init(machineId: String, transitionId: UInt64, machineTime: UInt64) {
        self.machineId = machineId
        self.transitionId = transitionId
        self.machineTime = machineTime
    }
}

/// One queued change request. Immutable once made; shared by reference between the
/// queue, the transition and tracers.
public final class Mutation: Sendable {
    public let type: MutationType
    /// Called states as indexes into the machine's state order, without duplicates.
    public let called: [Int]
    public let args: Args
    /// The error carried by `addErr`, in-process only (its text is in `args["err"]`).
    public let error: (any Error)?
    /// Made by the machine to activate Auto states.
    public let isAuto: Bool
    /// A dry run (`canAdd`, `canRemove`): handlers negotiate, nothing changes.
    public let isCheck: Bool
    public let source: MutationSource?
    /// The queue tick this mutation runs at; 0 for prepended (auto, exception) mutations.
    public let queueTick: UInt64
    /// Set for work that is not a transition of its own (an eval, a remote clock).
    let job: QueueJob?

    init(
        type: MutationType, called: [Int], args: Args = Args(), error: (any Error)? = nil,
        isAuto: Bool = false, isCheck: Bool = false, source: MutationSource? = nil, queueTick: UInt64 = 0,
        job: QueueJob? = nil
    ) {
        self.job = job
        self.type = type
        self.called = called
        self.args = args
        self.error = error
        self.isAuto = isAuto
        self.isCheck = isCheck
        self.source = source
        self.queueTick = queueTick
    }
}
