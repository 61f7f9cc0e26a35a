import AsyncMachineNode

/// What every view of one frame needs, worked out once per frame: the model, the time the
/// screen describes and the numbers read from the event log.
struct FrameContext {
    let model: DashboardModel
    /// This machine's wall clock (ns), for "stale for 5s".
    let now: UInt64
    /// The pool time the screen describes (see ``DashboardModel/referenceTime(now:)``).
    let time: UInt64
    /// Error events in the last minute before `time`, in all and per worker.
    let errorsLastMinute: Int
    let recentErrors: [String: Int]

    /// "Recent" errors, as the supervisor's TTL cache counts them (1 min).
    static let recentWindow: UInt64 = 60_000_000_000

    init(model: DashboardModel, now: UInt64) {
        self.model = model
        self.now = now
        let time = model.referenceTime(now: now)
        self.time = time
        let cutoff = time > Self.recentWindow ? time - Self.recentWindow : 0
        var total = 0
        var perWorker: [String: Int] = [:]
        // Not stopping at the first old event: batches from several machines can arrive a
        // little out of order, and 5,000 comparisons cost next to nothing.
        model.log.walkBackward(before: model.visibleLogEnd) { event in
            if event.isError, event.time >= cutoff, event.time <= time || !model.isReplay {
                total += 1
                if let worker = event.subjectWorker { perWorker[worker, default: 0] += 1 }
            }
            return true
        }
        errorsLastMinute = total
        recentErrors = perWorker
    }

    /// The heartbeat interval, when known.
    var heartbeatMilliseconds: Int? {
        guard let ms = model.snapshot?.pool.heartbeatMilliseconds, ms > 0 else { return nil }
        return ms
    }

    /// True when the worker's last healthcheck is older than twice the heartbeat interval.
    func heartbeatIsStale(_ worker: PoolSnapshot.Worker) -> Bool {
        guard let interval = heartbeatMilliseconds, let age = worker.lastHealthcheckAgeMilliseconds else { return false }
        return age > 2 * interval
    }
}

/// A line made of segments separated by two spaces; a segment that does not fit is left
/// out whole rather than cut, so a narrow header drops whole facts instead of half-words.
struct SegmentLine {
    typealias Piece = (text: String, style: CellStyle)
    private(set) var segments: [[Piece]] = []

    /// Alternatives of each segment, longest first: the first that fits is drawn.
    private(set) var alternatives: [[[Piece]]] = []

    mutating func add(_ pieces: [Piece]) { add(alternatives: [pieces]) }
    mutating func add(_ text: String, _ style: CellStyle = .plain) { add([(text, style)]) }
    /// A segment with shorter forms for narrow screens (tried in order).
    mutating func add(alternatives: [[Piece]]) {
        guard let first = alternatives.first else { return }
        segments.append(first)
        self.alternatives.append(alternatives)
    }
    /// Appends every segment of `other`.
    mutating func append(_ other: SegmentLine) {
        segments += other.segments
        alternatives += other.alternatives
    }

    /// Draws from `column`, within `width`. Returns the columns used.
    @discardableResult
    func draw(into screen: inout Screen, row: Int, column: Int, width: Int, separator: String = "  ") -> Int {
        var used = 0
        for forms in alternatives {
            let gap = used == 0 ? 0 : Screen.displayWidth(of: separator)
            guard let segment = forms.first(where: { form in
                used + gap + form.reduce(0) { $0 + Screen.displayWidth(of: $1.text) } <= width
            }) else { continue }
            if gap > 0 { screen.put(separator, row: row, column: column + used) }
            used += gap
            for piece in segment {
                screen.put(piece.text, row: row, column: column + used, style: piece.style, limit: width - used)
                used += Screen.displayWidth(of: piece.text)
            }
        }
        return used
    }

    /// The width the line takes when everything fits.
    var fullWidth: Int {
        segments.enumerated().reduce(0) { sum, item in
            sum + (item.offset == 0 ? 0 : 2) + item.element.reduce(0) { $0 + Screen.displayWidth(of: $1.text) }
        }
    }
}
