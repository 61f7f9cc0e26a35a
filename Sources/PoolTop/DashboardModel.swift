import AsyncMachineNode

/// Everything the dashboard shows and remembers, as one value.
///
/// Feeds change it through ``apply(_:)``, keys through ``handle(_:)`` (which returns the
/// ``Effect``s for the outside world to carry out), and results come back through
/// ``noteResult(_:at:)``. Views only read it, so a test can build a model, press keys and
/// read the rendered ``Screen`` without a terminal or a pool.
public struct DashboardModel: Sendable {
    // MARK: Configuration

    /// Embedded, attached or replay; fixed for the session.
    public let mode: DashboardMode
    /// `--readonly`: every pool action is refused with a message.
    public var readonly: Bool
    /// The key bindings (dispatch, help and hints all read it).
    public let keymap: Keymap
    /// Offset of the local time zone from UTC, for timestamps (the model stays pure; the
    /// program passes the zone's offset).
    public var utcOffsetSeconds: Int

    // MARK: Data from the feed

    /// The link to the pool, as the feed last reported it.
    public internal(set) var connection: ConnectionStatus
    /// The newest snapshot the feed sent.
    public internal(set) var latestSnapshot: PoolSnapshot?
    /// The snapshot on screen: the newest one, or the one frozen by pause.
    public internal(set) var snapshot: PoolSnapshot?
    /// Every event the feed sent, bounded (the oldest are dropped first).
    public internal(set) var log: EventLog
    /// Where the replay stands (replay mode only).
    public internal(set) var replayStatus: ReplayStatus?
    /// Wall time of the supervisor's last Heartbeat transition in the log.
    public internal(set) var lastHeartbeatAt: UInt64?
    /// Error events seen since the dashboard started (or in the replayed log), in all and
    /// per worker: the log ring forgets old lines, these do not.
    public internal(set) var errorsSeen = 0
    public internal(set) var errorsSeenByWorker: [String: Int] = [:]

    /// A worker's errors in all: the supervisor counts those it saw (within its TTL), the
    /// log also has the worker's own job errors; the larger, and never less than `recent`.
    public func errorTotal(of worker: PoolSnapshot.Worker, recent: Int) -> Int {
        max(worker.errors, errorsSeenByWorker[worker.id] ?? 0, recent)
    }

    // MARK: View state

    /// Live updates frozen: data keeps arriving, the screen keeps the frozen snapshot.
    public internal(set) var paused = false
    /// While paused, the log shows events before this sequence number only.
    public internal(set) var frozenLogEnd: Int?
    /// The log shows only the selected worker's events.
    public internal(set) var follow = false
    /// The selection is a worker id, not a row: rows move, the selection stays on its worker.
    public internal(set) var selectedWorker: String?
    /// The pane navigation keys act on.
    public internal(set) var focus: Pane = .workers
    /// The detail pane is open (below 120 columns it replaces the log).
    public internal(set) var showDetail = false
    /// Worker ids tagged for a bulk action (`t`, `T`).
    public internal(set) var tagged: Set<String> = []
    /// The `/` filter, applied to the list and the log.
    public internal(set) var filter: WorkerFilter = .none
    /// The help, a confirmation or a prompt, when one is open.
    public internal(set) var overlay: Overlay?
    /// The status line's message (cleared by the next key).
    public internal(set) var status: StatusMessage?
    /// Digits typed before a command (`3f`).
    public internal(set) var countPrefix: Int?

    /// The rows of the worker list in screen order (filtered, grouped).
    public internal(set) var rows: [WorkerRow] = []
    /// Widest worker id among `rows`, in display columns (the list's id column).
    public internal(set) var idColumnWidth = 2
    /// How many rows each group has, for the section headers.
    public internal(set) var groupCounts: [WorkerGroup: Int] = [:]
    var rowIndex: [String: Int] = [:]
    var roster = WorkerRoster()
    /// Where the selection was, so a vanished worker's neighbour can take over.
    var selectionHint = 0

    // MARK: Scrolling

    /// First list line on screen (lines count the section headers).
    public internal(set) var listTop = 0
    /// Log lines scrolled back from the newest (0: following the tail).
    public internal(set) var logScroll = 0
    /// Detail lines scrolled past.
    public internal(set) var detailScroll = 0
    /// The terminal size the model pages by; ``resize(width:height:)`` keeps it current.
    public internal(set) var width = 80
    public internal(set) var height = 24

    /// `eventCapacity`: the most events the log keeps.
    public init(mode: DashboardMode, readonly: Bool = false, eventCapacity: Int = 5_000, keymap: Keymap = .standard,
                utcOffsetSeconds: Int = 0) {
        self.mode = mode
        self.readonly = readonly
        self.keymap = keymap
        self.utcOffsetSeconds = utcOffsetSeconds
        self.log = EventLog(capacity: eventCapacity)
        self.connection = mode == .replay ? .live : .connecting
    }

    /// True in replay mode.
    public var isReplay: Bool { mode == .replay }

    // MARK: Feed

    /// Takes in what a feed says.
    public mutating func apply(_ update: FeedUpdate) {
        switch update {
        case .snapshot(let snapshot):
            latestSnapshot = snapshot
            // A snapshot is proof the link works, whatever the feed said before.
            if connection != .live { connection = .live }
            if !paused { show(snapshot) }
        case .events(let events):
            log.append(contentsOf: events)
            note(events)
        case .eventLog(let events):
            log.replace(with: events)
            lastHeartbeatAt = nil
            errorsSeen = 0
            errorsSeenByWorker = [:]
            logScroll = 0
            note(events)
        case .connection(let connection):
            self.connection = connection
        case .replayStatus(let status):
            replayStatus = status
        case .status(let message):
            status = message
        }
    }

    /// Learns what events tell beyond the log lines: heartbeats and other operators' kills.
    private mutating func note(_ events: [PoolEvent]) {
        var changed = false
        for event in events {
            if event.isSupervisorHeartbeat { lastHeartbeatAt = max(lastHeartbeatAt ?? 0, event.time) }
            if event.isError {
                errorsSeen += 1
                if let worker = event.subjectWorker { errorsSeenByWorker[worker, default: 0] += 1 }
            }
            if let action = event.action { changed = noteKill(action) || changed }
        }
        if changed { rebuildRows() }
    }

    /// A kill that went through puts its worker in Killing; a refused one takes it out.
    private mutating func noteKill(_ action: OperatorAction) -> Bool {
        guard action.name == .kill || action.name == .forceKill, let target = action.target else { return false }
        return action.ok ? roster.markKilling([target]) : roster.unmarkKilling(target)
    }

    /// Records the result of an action this dashboard asked for: the status line, the
    /// Killing group (a refused kill leaves it), and a log line unless `appendToLog` is
    /// false. `time` defaults to the newest pool time the model knows.
    ///
    /// Pass `appendToLog: false` when the feed also delivers the action as an event, or the
    /// log shows it twice.
    public mutating func noteResult(_ action: OperatorAction, at time: UInt64? = nil, appendToLog: Bool = true) {
        if appendToLog {
            let when = time ?? max(latestSnapshot?.takenAt ?? 0, log.newestTime ?? 0)
            log.append(.action(action, at: when))
        }
        status = StatusMessage(TextFormat.action(action), isError: !action.ok)
        if noteKill(action) { rebuildRows() }
    }

    /// Tells the model the terminal size, so paging and scrolling match the screen.
    public mutating func resize(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        keepFocusOnScreen()
        keepSelectionVisible()
    }

    // MARK: Derived values

    /// The layout for the model's terminal size.
    public var layout: DashboardLayout { layout(width: width, height: height) }

    /// The layout for a terminal size, given what is open now.
    public func layout(width: Int, height: Int) -> DashboardLayout {
        var promptOpen = false
        if case .prompt? = overlay { promptOpen = true }
        return DashboardLayout.compute(width: width, height: height, showDetail: showDetail, prompt: promptOpen)
    }

    /// The pool-clock time the screen describes: the replay cursor in replay, the frozen
    /// snapshot while paused, else `now`. Ages and "last minute" counts use it, so a
    /// replayed or frozen screen reads as it did at that moment.
    public func referenceTime(now: UInt64) -> UInt64 {
        if isReplay { return replayStatus?.time ?? snapshot?.takenAt ?? now }
        if paused { return snapshot?.takenAt ?? now }
        return now
    }

    /// The end (sequence number) of the part of the log on screen.
    public var visibleLogEnd: Int { frozenLogEnd ?? log.endSequence }

    /// The selected worker's row (present or gone).
    public var selectedRow: WorkerRow? { selectedWorker.flatMap { roster.row($0) } }

    /// A worker's row by id, present or gone, whether or not the filter shows it.
    public func row(_ id: String) -> WorkerRow? { roster.row(id) }

    /// Index of the selection in `rows`.
    public var selectedIndex: Int? { selectedWorker.flatMap { rowIndex[$0] } }

    /// Lines of the list: the rows and one header per non-empty group.
    public var listLineCount: Int { rows.count + groupCounts.count }

    /// The list line of the row at `index` (counting the section headers above it).
    public func listLine(ofRow index: Int) -> Int {
        guard index >= 0, index < rows.count else { return 0 }
        let group = rows[index].group
        return index + groupCounts.keys.filter { $0 <= group }.count
    }

    /// The tagged workers that are still in the pool, in list order.
    public var taggedPresent: [String] {
        guard !tagged.isEmpty else { return [] }
        return roster.rows { tagged.contains($0.id) && $0.group != .gone }.map(\.id)
    }

    // MARK: Rows

    /// Puts a snapshot on screen.
    mutating func show(_ snapshot: PoolSnapshot) {
        self.snapshot = snapshot
        roster.update(snapshot)
        rebuildRows()
    }

    /// Recomputes the list after anything that changes which rows exist or where.
    mutating func rebuildRows() {
        let filter = self.filter
        rows = roster.rows { filter.matches($0.worker, group: $0.group) }
        rowIndex = Dictionary(rows.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        var counts: [WorkerGroup: Int] = [:]
        var widest = 2
        for row in rows {
            counts[row.group, default: 0] += 1
            widest = max(widest, Screen.displayWidth(of: row.id))
        }
        groupCounts = counts
        idColumnWidth = min(widest, 16)
        if !tagged.isEmpty { tagged = tagged.filter { roster.isPresent($0) } }
        reselect()
    }

    /// Keeps the selection on its worker; when the worker left the list, takes the row now
    /// where it was (the nearest neighbour).
    mutating func reselect() {
        if let id = selectedWorker, let index = rowIndex[id] {
            selectionHint = index
        } else if rows.isEmpty {
            selectedWorker = nil
        } else {
            let index = min(max(0, selectionHint), rows.count - 1)
            selectedWorker = rows[index].id
            selectionHint = index
        }
        keepSelectionVisible()
    }
}
