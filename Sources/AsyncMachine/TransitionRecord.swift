/// A finished transition as a value: what tracers hand to logs, operators, recordings
/// and dashboards. Serializable, with absolute clocks before and after.
public struct TransitionRecord: Codable, Sendable, Equatable {
    public var machineId: String
    /// The transition's sequence number in its machine.
    public var id: UInt64
    public var type: MutationType
    public var called: [StateName]
    public var args: Args
    public var isAuto: Bool
    public var isCheck: Bool
    public var accepted: Bool
    /// `executed`, `canceled`, `queued(n)` or `failed(...)`.
    public var result: String
    public var entered: [StateName]
    public var exited: [StateName]
    public var timeBefore: [UInt64]
    public var timeAfter: [UInt64]
    /// Wall clock, nanoseconds since the Unix epoch (0 when no tracer asked for it).
    public var startedAt: UInt64
    public var endedAt: UInt64

    /// A record from its parts (what a recording reader rebuilds).
    public init(machineId: String, id: UInt64, type: MutationType, called: [StateName], args: Args, isAuto: Bool,
                isCheck: Bool, accepted: Bool, result: String, entered: [StateName], exited: [StateName],
                timeBefore: [UInt64], timeAfter: [UInt64], startedAt: UInt64, endedAt: UInt64) {
        self.machineId = machineId
        self.id = id
        self.type = type
        self.called = called
        self.args = args
        self.isAuto = isAuto
        self.isCheck = isCheck
        self.accepted = accepted
        self.result = result
        self.entered = entered
        self.exited = exited
        self.timeBefore = timeBefore
        self.timeAfter = timeAfter
        self.startedAt = startedAt
        self.endedAt = endedAt
    }

    /// The record of a finished transition (call from ``Tracer/transitionEnd(_:)``).
    public init(_ tx: Transition) {
        machineId = tx.machineId
        id = tx.id
        type = tx.type
        called = tx.calledStates
        args = tx.args
        isAuto = tx.isAuto
        isCheck = tx.isCheck
        accepted = tx.isAccepted
        result = tx.result.map { "\($0)" } ?? "unfinished"
        entered = tx.enteredStates
        exited = tx.exitedStates
        timeBefore = tx.timeBefore
        timeAfter = tx.timeAfter
        startedAt = tx.startedAt
        endedAt = tx.endedAt
    }
}
