import AsyncMachineNode

/// Everything the dashboard remembers about workers across snapshots: when each entered
/// its state, which ones an operator is killing, and which ones just left.
///
/// A snapshot is only "the pool now"; an operator also needs "what just vanished" and "how
/// long has this one been busy", which only a memory of earlier snapshots can tell.
struct WorkerRoster: Sendable, Equatable {
    struct Since: Sendable, Equatable {
        var state: WorkerState
        var time: UInt64
    }

    /// How long a gone worker stays listed (pool time).
    static let goneRetention: UInt64 = 30_000_000_000

    /// The workers of the last snapshot, in its order.
    private(set) var workers: [PoolSnapshot.Worker] = []
    private(set) var since: [String: Since] = [:]
    /// Gone workers, oldest first.
    private(set) var gone: [WorkerRow] = []
    private(set) var killing: Set<String> = []
    private(set) var takenAt: UInt64?
    private var index: [String: Int] = [:]
    private var goneIndex: [String: Int] = [:]

    /// Takes in a new snapshot: records state changes, moves missing workers to Gone and
    /// forgets gone workers older than ``goneRetention``.
    mutating func update(_ snapshot: PoolSnapshot) {
        let now = snapshot.takenAt
        if let previous = takenAt, now < previous {
            // Time went backwards: a replay seeked back. What we remembered belongs to a
            // future the pool has not reached yet.
            since = [:]
            gone = []
            killing = []
            workers = []
        }
        let present = Set(snapshot.workers.map(\.id))
        for old in workers where !present.contains(old.id) {
            // A gone worker's "time in state" is the time since it went.
            gone.append(WorkerRow(worker: old, group: .gone, stateSince: now, goneAt: now))
            killing.remove(old.id)
            since[old.id] = nil
        }
        gone.removeAll { row in
            present.contains(row.id) || (row.goneAt ?? now) + Self.goneRetention < now || (row.goneAt ?? now) > now
        }
        for worker in snapshot.workers where since[worker.id]?.state != worker.state {
            let time = since[worker.id] == nil ? Self.firstSeen(worker, at: now) : now
            since[worker.id] = Since(state: worker.state, time: time)
        }
        workers = snapshot.workers
        killing.formIntersection(present)
        takenAt = now
        rebuildIndex()
    }

    /// When a worker seen for the first time entered its state. A worker still starting
    /// entered it when it was forked, which its uptime tells; for the others the dashboard
    /// cannot know more than "now".
    private static func firstSeen(_ worker: PoolSnapshot.Worker, at now: UInt64) -> UInt64 {
        switch worker.state {
        case .initing, .rpc:
            let uptime = UInt64(max(0, worker.uptimeMilliseconds)) * 1_000_000
            return now > uptime ? now - uptime : 0
        default:
            return now
        }
    }

    private mutating func rebuildIndex() {
        index = Dictionary(workers.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        goneIndex = Dictionary(gone.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Marks workers as being killed (they show in the Killing group until they go).
    /// Returns true when anything changed.
    @discardableResult
    mutating func markKilling(_ ids: some Sequence<String>) -> Bool {
        let before = killing.count
        for id in ids where index[id] != nil { killing.insert(id) }
        return killing.count != before
    }

    /// Takes a worker out of Killing (a kill that was refused). Returns true when it was in.
    @discardableResult
    mutating func unmarkKilling(_ id: String) -> Bool { killing.remove(id) != nil }

    /// True when the worker is in the last snapshot.
    func isPresent(_ id: String) -> Bool { index[id] != nil }

    /// The group a live worker is listed in.
    func group(of worker: PoolSnapshot.Worker) -> WorkerGroup {
        killing.contains(worker.id) ? .killing : WorkerGroup(worker.state)
    }

    /// The row for a worker id: present workers first, then gone ones.
    func row(_ id: String) -> WorkerRow? {
        if let i = index[id] { return row(for: workers[i]) }
        if let i = goneIndex[id] { return gone[i] }
        return nil
    }

    private func row(for worker: PoolSnapshot.Worker) -> WorkerRow {
        WorkerRow(worker: worker, group: group(of: worker), stateSince: since[worker.id]?.time ?? takenAt ?? 0, goneAt: nil)
    }

    /// Every row in list order: by group, then in snapshot order; the most recently gone
    /// first, since that is the one an operator is looking for.
    func rows(where include: (WorkerRow) -> Bool = { _ in true }) -> [WorkerRow] {
        var byGroup: [[WorkerRow]] = Array(repeating: [], count: WorkerGroup.allCases.count)
        for worker in workers {
            let row = row(for: worker)
            if include(row) { byGroup[row.group.rawValue].append(row) }
        }
        for row in gone.reversed() where include(row) { byGroup[WorkerGroup.gone.rawValue].append(row) }
        return byGroup.flatMap { $0 }
    }
}
