import AsyncMachineNode
import DequeModule

/// The dashboard's event log: a bounded ring of ``PoolEvent``s, oldest dropped first.
///
/// Events are numbered in arrival order for the log's whole life (`sequence`), so a paused
/// view can remember "everything before #n" while new events keep arriving and old ones
/// fall off the front.
public struct EventLog: Sendable, Equatable {
    /// The most events kept.
    public let capacity: Int
    private(set) var storage: Deque<PoolEvent> = []
    /// Sequence number of the oldest stored event.
    public private(set) var firstSequence = 0

    public init(capacity: Int = 5_000) {
        self.capacity = Swift.max(1, capacity)
    }

    /// Sequence number the next appended event gets.
    public var endSequence: Int { firstSequence + storage.count }
    /// Events stored now.
    public var count: Int { storage.count }
    /// True when no event is stored.
    public var isEmpty: Bool { storage.isEmpty }
    /// The stored events, oldest first.
    public var events: [PoolEvent] { Array(storage) }

    /// The time of the newest event, if any.
    public var newestTime: UInt64? { storage.last?.time }

    /// The event numbered `sequence`, if it is still stored.
    public subscript(sequence sequence: Int) -> PoolEvent? {
        let index = sequence - firstSequence
        return index >= 0 && index < storage.count ? storage[index] : nil
    }

    /// Adds an event at the end, dropping the oldest when full.
    public mutating func append(_ event: PoolEvent) {
        if storage.count == capacity {
            storage.removeFirst()
            firstSequence += 1
        }
        storage.append(event)
    }

    /// Adds events at the end, in order.
    public mutating func append(contentsOf events: some Sequence<PoolEvent>) {
        for event in events { append(event) }
    }

    /// Replaces every event. Sequence numbers keep growing, so nothing that remembered an
    /// old number can mistake a new event for it.
    public mutating func replace(with events: [PoolEvent]) {
        let next = endSequence
        storage = Deque(events.suffix(capacity))
        firstSequence = next
    }

    /// The stored events about the worker with this id (see ``PoolEvent/subjectWorker``),
    /// oldest first.
    public func events(for worker: String) -> [PoolEvent] {
        storage.filter { $0.subjectWorker == worker }
    }

    /// The last `limit` events before sequence `end` that pass `include`, oldest first.
    /// Walks back from the newest, so a view asks only for what fits on screen.
    func last(_ limit: Int, before end: Int? = nil, where include: (PoolEvent) -> Bool) -> [PoolEvent] {
        guard limit > 0 else { return [] }
        var found: [PoolEvent] = []
        var index = Swift.min(storage.count, (end ?? endSequence) - firstSequence) - 1
        while index >= 0, found.count < limit {
            let event = storage[index]
            if include(event) { found.append(event) }
            index -= 1
        }
        return found.reversed()
    }

    /// Calls `body` for every stored event before sequence `end`, newest first, until it
    /// returns false.
    func walkBackward(before end: Int? = nil, _ body: (PoolEvent) -> Bool) {
        var index = Swift.min(storage.count, (end ?? endSequence) - firstSequence) - 1
        while index >= 0 {
            if !body(storage[index]) { return }
            index -= 1
        }
    }
}
