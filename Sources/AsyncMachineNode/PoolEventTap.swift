import AsyncMachine
import DequeModule
import Synchronization

/// Collects a pool's event log (``PoolEvent``s) as it happens: the transitions of the
/// supervisor and of every worker mirror, the errors they raise, and operator actions.
/// The operator endpoint streams what it collects and an embedded dashboard reads it
/// directly, so both show the same events.
///
/// Never blocks a machine: it keeps at most `limit` events between two takes and counts
/// what it had to drop.
public final class PoolEventTap: Tracer {
    private struct Buffer {
        var events = Deque<PoolEvent>()
        var dropped = 0
        var workers: [String: String] = [:]
        var detached = false
    }

    private let buffer = Mutex(Buffer())
    private let limit: Int
    private let attachments = TracerAttachments()

    public init(limit: Int = 10_000) { self.limit = limit }

    /// A tap on `supervisor`'s machine, its worker mirrors (now and later) and its actions.
    public static func attached(to supervisor: Supervisor, limit: Int = 10_000) -> PoolEventTap {
        let tap = PoolEventTap(limit: limit)
        tap.attachments.attach(tap, to: supervisor.machine)
        supervisor.observeWorkerMirrors { [weak tap] worker, mirror in
            guard let tap else { return }
            tap.buffer.withLock { $0.workers[mirror.id] = worker }
            tap.attachments.attach(tap, to: mirror)
        }
        supervisor.observeActions { [weak tap] action in
            guard let tap, !tap.isDetached else { return }
            tap.append([.action(action, at: wallClockNanoseconds())])
        }
        return tap
    }

    /// Stops collecting: detaches from every machine and ignores what comes later.
    public func detach() {
        buffer.withLock { $0.detached = true }
        attachments.detachAll(self)
    }

    private var isDetached: Bool { buffer.withLock { $0.detached } }

    public func transitionEnd(_ transition: Transition) {
        let record = TransitionRecord(transition)
        let worker = buffer.withLock { $0.workers[record.machineId] }
        append(PoolEvent.events(for: record, worker: worker))
    }

    /// Adds events that no transition carries.
    public func append(_ events: [PoolEvent]) {
        buffer.withLock { b in
            b.events.append(contentsOf: events)
            if b.events.count > limit {
                let excess = b.events.count - limit
                b.events.removeFirst(excess)
                b.dropped += excess
            }
        }
    }

    /// Everything collected since the last take, and how many events were dropped.
    public func take() -> (events: [PoolEvent], dropped: Int) {
        buffer.withLock { b in
            defer {
                b.events = []
                b.dropped = 0
            }
            return (Array(b.events), b.dropped)
        }
    }
}

/// What operators receive as the `Transitions` payload (JSON): the pool's events since
/// the previous batch.
public struct TransitionBatch: Codable, Sendable {
    public var events: [PoolEvent]
    /// Events dropped since the previous batch because operators fell behind.
    public var dropped: Int

    public init(events: [PoolEvent], dropped: Int) {
        self.events = events
        self.dropped = dropped
    }
}
