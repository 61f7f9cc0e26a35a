import AsyncMachine
import Synchronization

/// A tracer collecting the transitions of several machines (a supervisor and its worker
/// mirrors) for operators, in the order they finished. Never blocks a machine: it keeps
/// at most `limit` records between two takes and counts what it had to drop.
final class TransitionTap: Tracer {
    private let buffer = Mutex<(records: [TransitionRecord], dropped: Int)>(([], 0))
    private let limit: Int

    init(limit: Int = 10_000) { self.limit = limit }

    func transitionEnd(_ transition: Transition) {
        let record = TransitionRecord(transition)
        buffer.withLock { b in
            if b.records.count >= limit {
                b.records.removeFirst()
                b.dropped += 1
            }
            b.records.append(record)
        }
    }

    /// Everything collected since the last take, and how many were dropped.
    func take() -> (records: [TransitionRecord], dropped: Int) {
        buffer.withLock { b in
            defer { b = ([], 0) }
            return b
        }
    }
}

/// What operators receive as the `Transitions` payload (JSON).
public struct TransitionBatch: Codable, Sendable {
    public var records: [TransitionRecord]
    /// Records dropped since the previous batch because operators fell behind.
    public var dropped: Int
}
