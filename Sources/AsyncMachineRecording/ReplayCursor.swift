import AsyncMachine
import AsyncMachineNode
import DequeModule

/// A position in a recording, between two transitions, with the pool and the event log
/// as they were there: the same ``PoolSnapshot`` and ``PoolEvent``s a live feed yields.
///
/// Position `n` means the first `n` transitions (and every other record written before
/// transition `n + 1`) have happened. Moving far uses the file's checkpoints, so any
/// position is reached by reading at most one checkpoint interval of records.
public final class ReplayCursor {
    public let reader: RecordingReader
    /// Transitions applied.
    public private(set) var position: UInt64 = 0
    /// Transitions in the file (as of the last ``refresh()``).
    public private(set) var transitionCount: UInt64 = 0
    /// The replay state at ``position``.
    public private(set) var state = ReplayState()
    /// Wall time of the last record applied.
    public private(set) var time: UInt64
    /// Damage met while reading (a torn last record, skipped bytes).
    public private(set) var damage: [RecordingDamage] = []
    /// The pool at ``position`` (nil before the first keyframe).
    public var snapshot: PoolSnapshot? { state.snapshot }

    /// Offset of the first record not applied yet.
    private var nextOffset: UInt64
    /// The checkpoint the current state was built from, and the events since it.
    private var segmentStart: UInt64
    private var recent = Deque<PoolEvent>()
    private var segmentCache: [UInt64: (end: UInt64, events: [PoolEvent])] = [:]
    private let eventLimit = 1_000
    /// Whether records were lost to damage since the last checkpoint: the next one then
    /// replaces the state (it holds what the lost records did).
    private var damagedSegment = false
    /// Offsets of the skipped stretches and records in ``damage`` (not the torn end, which
    /// ``refresh()`` takes out again).
    private var damagedOffsets = Set<UInt64>()

    /// Opens a cursor at position 0.
    public init(reader: RecordingReader) throws(RecordingError) {
        self.reader = reader
        nextOffset = reader.dataStart
        segmentStart = reader.dataStart
        time = reader.header.startedAt
        refresh()
        try advance(to: 0)
    }

    public convenience init(path: String) throws(RecordingError) {
        try self.init(reader: RecordingReader(path: path))
    }

    /// Picks up records appended since (a recording still being written).
    public func refresh() {
        reader.refresh()
        segmentCache.removeAll()
        // A torn end was the end of the file as it was: read again, it may be whole now
        // (a live recording), and if it is still cut it is reported again.
        damage.removeAll { $0.isTornEnd }
        transitionCount = reader.lastFrame()?.transitionCount ?? 0
        if let torn = reader.tornEnd() { damage.append(torn) }
    }

    /// Wall time of the first and the last record.
    public var timeRange: ClosedRange<UInt64> {
        let last = reader.lastFrame()?.time ?? reader.header.startedAt
        return reader.header.startedAt...max(reader.header.startedAt, last)
    }

    // MARK: Moving

    /// Goes to position `target` (clamped to the file).
    public func seek(toTransition target: UInt64) throws(RecordingError) {
        let target = min(target, transitionCount)
        if target >= position, target - position <= 2_000 {
            try advance(to: target)
            if position == target { return }
            // It stopped short (damage, a file that changed): start again from a checkpoint.
        }
        // Start from the checkpoint before the frame of transition `target`.
        let anchor = target == 0 ? nil : reader.firstFrame(where: \.transitionCount, atLeast: target)
        let checkpoint = anchor.flatMap {
            $0.kind == .checkpoint && $0.transitionCount <= target ? $0.offset : $0.checkpointOffset
        } ?? reader.dataStart
        restart(at: checkpoint)
        try advance(to: target)
    }

    /// Goes to the last position whose records all happened at or before `wallTime`.
    public func seek(toTime wallTime: UInt64) throws(RecordingError) {
        guard let after = reader.firstFrame(where: \.time, atLeast: wallTime &+ 1) else {
            return try seek(toTransition: transitionCount)
        }
        // A position holds its transition and the records after it, so the first record later
        // than `wallTime`, whatever its kind, belongs to `transitionCount`: stop one before.
        try seek(toTransition: after.transitionCount > 0 ? after.transitionCount - 1 : 0)
    }

    /// Moves `count` transitions forward (negative: back).
    public func step(_ count: Int = 1) throws(RecordingError) {
        let target = count >= 0 ? position &+ UInt64(count) : position - min(position, UInt64(count.magnitude))
        try seek(toTransition: target)
    }

    public func first() throws(RecordingError) { try seek(toTransition: 0) }
    public func last() throws(RecordingError) {
        refresh()
        try seek(toTransition: transitionCount)
    }

    /// How many records a search (``next(where:)``, ``previous(where:)`` and the jumps built
    /// on them) may read before it stops where it got to. Default: no limit. A dashboard
    /// sets one, so a search through a night's recording never freezes its screen.
    public var searchBudget = Int.max
    /// Whether the last search that found nothing stopped at ``searchBudget`` (the cursor
    /// is then where the search got to, and searching again goes on from there) rather
    /// than at the end of the recording.
    public private(set) var searchStoppedEarly = false

    /// Goes to the next position where a record matching `predicate` happened; false (and
    /// no move) when there is none, or when ``searchBudget`` ran out first (see
    /// ``searchStoppedEarly``).
    @discardableResult
    public func next(where predicate: (RecordEntry, ReplayState) -> Bool) throws(RecordingError) -> Bool {
        searchStoppedEarly = false
        var scanner = FrameScanner(reader: reader, from: nextOffset)
        var scanState = state
        var read = 0
        while let (info, bytes, payload) = scanner.next() {
            read += 1
            guard let body = self.read(info, bytes, payload, into: &scanState) else { continue }
            if predicate(RecordEntry(frame: info, body: body), scanState), info.transitionCount > position {
                try seek(toTransition: info.transitionCount)
                return true
            }
            if read >= searchBudget, info.transitionCount > position {
                try seek(toTransition: info.transitionCount)
                searchStoppedEarly = true
                return false
            }
        }
        return false
    }

    /// Goes to the previous position (before this one) where a record matching
    /// `predicate` happened; false when there is none, or when ``searchBudget`` ran out
    /// first.
    @discardableResult
    public func previous(where predicate: (RecordEntry, ReplayState) -> Bool) throws(RecordingError) -> Bool {
        searchStoppedEarly = false
        var segment: UInt64? = segmentStart
        var end = nextOffset
        var read = 0
        while let start = segment {
            var found: UInt64?
            try scan(from: start, until: end) { entry, s in
                read += 1
                if entry.frame.transitionCount < position, predicate(entry, s) { found = entry.frame.transitionCount }
            }
            if let found {
                try seek(toTransition: found)
                return true
            }
            if read >= searchBudget, let reached = reader.frame(at: start)?.0.transitionCount, reached < position {
                // Searched back to this segment's start: wait there for the next search.
                try seek(toTransition: reached)
                searchStoppedEarly = true
                return false
            }
            end = start
            segment = start > reader.dataStart ? reader.frame(at: start).flatMap { $0.0.checkpointOffset } : nil
            if segment == nil, start > reader.dataStart {
                segment = reader.dataStart
            }
        }
        return false
    }

    /// The next position where worker `id` changed (its transitions, errors and actions).
    @discardableResult
    public func nextChange(ofWorker id: String) throws(RecordingError) -> Bool { try next { Self.concerns($0, $1, worker: id) } }

    @discardableResult
    public func previousChange(ofWorker id: String) throws(RecordingError) -> Bool {
        try previous { Self.concerns($0, $1, worker: id) }
    }

    /// The next position where `state` went on or off, in any machine (or in `machine`).
    @discardableResult
    public func nextChange(of stateName: StateName, machine: String? = nil) throws(RecordingError) -> Bool {
        try next { entry, _ in Self.changes(entry, stateName, machine) }
    }

    @discardableResult
    public func previousChange(of stateName: StateName, machine: String? = nil) throws(RecordingError) -> Bool {
        try previous { entry, _ in Self.changes(entry, stateName, machine) }
    }

    @discardableResult
    public func nextError() throws(RecordingError) -> Bool { try next { entry, _ in Self.isError(entry) } }

    @discardableResult
    public func previousError() throws(RecordingError) -> Bool { try previous { entry, _ in Self.isError(entry) } }

    // MARK: Event log

    /// The last `limit` events up to this position, oldest first.
    public func events(limit: Int = 200) throws(RecordingError) -> [PoolEvent] {
        var events = Array(recent)
        var segment = segmentStart
        while events.count < limit, segment > reader.dataStart {
            let previous = reader.frame(at: segment).flatMap { $0.0.checkpointOffset } ?? reader.dataStart
            events = try segmentEvents(from: previous, until: segment) + events
            segment = previous
        }
        return Array(events.suffix(limit))
    }

    /// The events of the segment [start, end), decoded once: a replay that plays asks for
    /// the same older segments on every frame.
    private func segmentEvents(from start: UInt64, until end: UInt64) throws(RecordingError) -> [PoolEvent] {
        if let cached = segmentCache[start], cached.end == end { return cached.events }
        var older: [PoolEvent] = []
        try scan(from: start, until: end) { entry, s in
            if let e = s.event(for: entry.body, time: entry.frame.time) { older.append(e) }
        }
        if segmentCache.count >= 8 { segmentCache.removeAll() }
        segmentCache[start] = (end, older)
        return older
    }

    // MARK: Internals

    private static func isError(_ entry: RecordEntry) -> Bool {
        if case .error = entry.body { return true }
        return false
    }

    private static func concerns(_ entry: RecordEntry, _ state: ReplayState, worker id: String) -> Bool {
        switch entry.body {
        case .transition(let record, let handle):
            return state.machines[handle]?.worker == id && record.accepted && record.timeBefore != record.timeAfter
        case .error(let e): return e.worker == id
        case .action(let a): return a.target == id
        default: return false
        }
    }

    private static func changes(_ entry: RecordEntry, _ state: StateName, _ machine: String?) -> Bool {
        guard case .transition(let record, _) = entry.body, record.accepted, !record.isCheck,
              machine == nil || record.machineId == machine else { return false }
        return record.entered.contains(state) || record.exited.contains(state)
    }

    /// Loads the checkpoint at `offset`. When there is none there (a damaged or crafted
    /// distance) it starts from the empty state at the start of the data, and when that
    /// checkpoint does not decode, from the one before it.
    private func restart(at offset: UInt64) {
        state = ReplayState()
        recent.removeAll()
        segmentStart = reader.dataStart
        nextOffset = reader.dataStart
        position = 0
        damagedSegment = false
        var candidate: UInt64? = offset
        while let at = candidate, at >= reader.dataStart,
              let (info, bytes, payload) = reader.frame(at: at), info.kind == .checkpoint {
            do {
                var loaded = ReplayState()
                try loaded.apply(try RecordBody.decode(info, bytes: bytes, payload: payload, machines: [:]))
                state = loaded
                segmentStart = at
                nextOffset = info.end
                position = state.transitions
                time = info.time
                return
            } catch {
                report(Self.undecodable(info, error))
                candidate = info.checkpointOffset
            }
        }
    }

    /// Adds `d` to ``damage`` unless it is there already.
    private func report(_ d: RecordingDamage) {
        if d.isTornEnd {
            guard !damage.contains(where: { $0.isTornEnd && $0.offset == d.offset }) else { return }
        } else {
            guard damagedOffsets.insert(d.offset).inserted else { return }
        }
        damage.append(d)
    }

    /// A whole frame (its checksum holds) whose record cannot be read: a transition of a
    /// machine whose record was lost to damage, or a payload this build does not understand.
    private static func undecodable(_ info: FrameInfo, _ error: RecordingError) -> RecordingDamage {
        RecordingDamage(offset: info.offset, length: UInt64(info.size), isTornEnd: false,
                        reason: "a \(info.kind?.description ?? "record") that does not decode, skipped: \(error)")
    }

    /// Applies records until the next one belongs to a later position than `target`.
    /// A record that does not decode is reported in ``damage`` and passed over.
    private func advance(to target: UInt64) throws(RecordingError) {
        var scanner = FrameScanner(reader: reader, from: nextOffset)
        defer { for d in scanner.damage { report(d) } }
        var skipped = 0
        while true {
            let mark = scanner.offset
            guard let (info, bytes, payload) = scanner.next() else {
                nextOffset = scanner.offset
                break
            }
            // Bytes skipped before this frame: what they held is missing from the state.
            if scanner.damage.count > skipped {
                skipped = scanner.damage.count
                damagedSegment = true
            }
            if info.transitionCount > target {
                nextOffset = mark
                // Every record up to `target` is applied, even when the frame of transition
                // `target` itself was lost to damage.
                position = max(position, target)
                break
            }
            do {
                let body = try RecordBody.decode(info, bytes: bytes, payload: payload, machines: state.machines)
                if info.kind == .checkpoint {
                    // A checkpoint restates what was applied (or, after damage, what should
                    // have been): it starts a new segment of the log.
                    if damagedSegment {
                        try state.apply(body)
                        damagedSegment = false
                    }
                    segmentStart = info.offset
                    recent.removeAll()
                } else {
                    try state.apply(body)
                    if let event = state.event(for: body, time: info.time) {
                        recent.append(event)
                        if recent.count > eventLimit { recent.removeFirst() }
                    }
                }
            } catch {
                report(Self.undecodable(info, error))
                damagedSegment = true
            }
            time = info.time
            position = info.transitionCount
            nextOffset = scanner.offset
        }
    }

    /// Decodes a frame and applies it to `state`; nil, and reported as damage, when it cannot.
    private func read(_ info: FrameInfo, _ bytes: [UInt8], _ payload: Range<Int>, into state: inout ReplayState) -> RecordBody? {
        do {
            let body = try RecordBody.decode(info, bytes: bytes, payload: payload, machines: state.machines)
            try state.apply(body)
            return body
        } catch {
            report(Self.undecodable(info, error))
            return nil
        }
    }

    /// Decodes the records in [start, end), calling `body` with each and the state after it.
    private func scan(from start: UInt64, until end: UInt64, _ body: (RecordEntry, ReplayState) -> Void) throws(RecordingError) {
        var s = ReplayState()
        var scanner = FrameScanner(reader: reader, from: start)
        while scanner.offset < end, let (info, bytes, payload) = scanner.next() {
            guard info.offset < end else { break }
            guard let decoded = read(info, bytes, payload, into: &s) else { continue }
            if info.kind != .checkpoint { body(RecordEntry(frame: info, body: decoded), s) }
        }
    }
}
