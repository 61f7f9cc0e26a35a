import AsyncMachine

/// The low 32 bits of (sum of ticks + queue tick): the ClockDiff checksum.
func clockChecksum(_ ticks: [UInt64], queueTick: UInt64) -> UInt32 {
    var sum = queueTick
    for tick in ticks { sum &+= tick }
    return UInt32(truncatingIfNeeded: sum)
}

/// Server side, one per client: what that client was last sent, and the next message
/// that brings it up to date. Every message it makes has the next sequence number.
struct ClockBaseline {
    /// Indexes the client mirrors; nil for all.
    let tracked: [Int]?
    private(set) var ticks: [UInt64]
    private(set) var queueTick: UInt64
    private(set) var seq: UInt64 = 0

    enum Change {
        case none
        case diff(WireClockDiff)
        case full(WireFullClock)
    }

    init(ticks: [UInt64], queueTick: UInt64, tracked: [Int]?) {
        self.tracked = tracked
        self.ticks = Self.filter(ticks, tracked)
        self.queueTick = queueTick
    }

    /// The whole clock, as the new baseline.
    mutating func full(ticks now: [UInt64], queueTick: UInt64) -> WireFullClock {
        ticks = Self.filter(now, tracked)
        self.queueTick = queueTick
        seq += 1
        var clock = WireFullClock()
        clock.seq = seq
        clock.ticks = ticks
        clock.queueTick = queueTick
        return clock
    }

    /// What changed since the baseline: nothing, a diff, or (when a tick went down or the
    /// schema grew) the whole clock. The baseline becomes `now`.
    mutating func change(to now: [UInt64], queueTick now_qt: UInt64) -> Change {
        let filtered = Self.filter(now, tracked)
        guard filtered.count == ticks.count, now_qt >= queueTick else {
            return .full(full(ticks: now, queueTick: now_qt))
        }
        var diff = WireClockDiff()
        for i in 0..<filtered.count where filtered[i] != ticks[i] {
            guard filtered[i] > ticks[i] else { return .full(full(ticks: now, queueTick: now_qt)) }
            diff.indexes.append(UInt32(i))
            diff.deltas.append(filtered[i] - ticks[i])
        }
        diff.queueTickDelta = now_qt - queueTick
        if diff.indexes.isEmpty && diff.queueTickDelta == 0 { return .none }
        ticks = filtered
        queueTick = now_qt
        seq += 1
        diff.seq = seq
        diff.checksum = clockChecksum(ticks, queueTick: queueTick)
        return .diff(diff)
    }

    private static func filter(_ ticks: [UInt64], _ tracked: [Int]?) -> [UInt64] {
        guard let tracked else { return ticks }
        var out = [UInt64](repeating: 0, count: ticks.count)
        for i in tracked where i < ticks.count { out[i] = ticks[i] }
        return out
    }
}

/// Client side: the mirrored clock and the sequence number of the last clock message.
struct MirrorClock {
    private(set) var ticks: [UInt64]
    private(set) var queueTick: UInt64
    private(set) var seq: UInt64

    init(_ full: WireFullClock) {
        ticks = full.ticks
        queueTick = full.queueTick
        seq = full.seq
    }

    /// Applies a diff when it is the next in sequence and its checksum matches; false
    /// (and no change) otherwise: the client then asks for the whole clock.
    mutating func apply(_ diff: WireClockDiff) -> Bool {
        guard diff.seq == seq &+ 1, diff.indexes.count == diff.deltas.count else { return false }
        var next = ticks
        for (i, delta) in zip(diff.indexes, diff.deltas) {
            guard Int(i) < next.count else { return false }
            next[Int(i)] &+= delta
        }
        let nextQueueTick = queueTick &+ diff.queueTickDelta
        guard clockChecksum(next, queueTick: nextQueueTick) == diff.checksum else { return false }
        ticks = next
        queueTick = nextQueueTick
        seq = diff.seq
        return true
    }

    /// Replaces everything with a full clock (after a sync, a reconnect or a schema change).
    mutating func reset(_ full: WireFullClock) {
        ticks = full.ticks
        queueTick = full.queueTick
        seq = full.seq
    }
}

extension Schema {
    /// `names` plus every state they require, transitively, as sorted indexes.
    func requireClosure(of names: [StateName]) throws(RPCError) -> [Int] {
        let all = self.names
        var index: [StateName: Int] = [:]
        for (i, name) in all.enumerated() { index[name] = i }
        var seen = Set<Int>()
        var stack: [StateName] = []
        for name in names {
            guard index[name] != nil else { throw .unknownState(name.rawValue) }
            stack.append(name)
        }
        while let name = stack.popLast() {
            guard let i = index[name], seen.insert(i).inserted else { continue }
            stack.append(contentsOf: self[name]?.require ?? [])
        }
        return seen.sorted()
    }
}
