import AsyncMachineNode

/// A section of the worker list. Order is the order on screen: a worker's life from top
/// to bottom, so the eye reads the pool's flow.
public enum WorkerGroup: Int, Sendable, Hashable, CaseIterable, Comparable {
    /// Forked and not yet linked (`initing`, `rpc`).
    case initing
    /// Ready for a client (`ready`, `idle`).
    case idle
    case busy
    /// Being killed (the supervisor says so, or an operator asked) and not gone yet.
    case killing
    /// No longer in the pool; kept for a while so an operator sees what just vanished.
    case gone

    /// The group of a live worker in `state`.
    public init(_ state: WorkerState) {
        switch state {
        case .initing, .rpc: self = .initing
        case .ready, .idle: self = .idle
        case .busy: self = .busy
        case .killing: self = .killing
        }
    }

    /// The section title.
    public var title: String {
        switch self {
        case .initing: "Initing"
        case .idle: "Idle/Ready"
        case .busy: "Busy"
        case .killing: "Killing"
        case .gone: "Gone"
        }
    }

    /// Screen order.
    public static func < (lhs: WorkerGroup, rhs: WorkerGroup) -> Bool { lhs.rawValue < rhs.rawValue }
}
