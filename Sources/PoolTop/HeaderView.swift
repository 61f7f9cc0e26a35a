import AsyncMachineNode

/// The pool header: what the pool should be and is, its flags, errors and heartbeat, and
/// how the dashboard is connected. Rows are dropped from the bottom up on short terminals.
struct HeaderView {
    let context: FrameContext

    func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        // Below the title, the facts per row for each header height; what does not fit
        // in a row is left out whole.
        let rows: [[SegmentLine]]
        switch rect.height {
        case 1: rows = []
        case 2: rows = [[pool(), errors(), heartbeat()]]
        case 3: rows = [[pool(), workers()], [flags(), errors(), heartbeat()]]
        default:
            // The counters go with the pool sizes when there is room, else after the errors.
            var first = SegmentLine()
            for part in [pool(), clients(), counters()] { first.append(part) }
            let roomy = first.fullWidth <= rect.width
            rows = [roomy ? [first] : [pool(), clients()], [workers(), flags()], roomy ? [errors(), heartbeat()] : [errors(), heartbeat(), counters()]]
        }
        drawTitle(into: &screen, in: rect)
        for (offset, parts) in rows.enumerated() where offset + 1 < rect.height {
            var line = SegmentLine()
            for part in parts { line.append(part) }
            line.draw(into: &screen, row: rect.row + offset + 1, column: rect.column, width: rect.width)
        }
    }

    /// `pooltop · supervisor (kind)` on the left, the mode and connection on the right.
    private func drawTitle(into screen: inout Screen, in rect: Rect) {
        let model = context.model
        var right = SegmentLine()
        if model.paused { right.add(" PAUSED ", Palette.paused) }
        // On a narrow screen the mode word alone ("STALE 5s") still says what matters.
        let mode = modePieces()
        right.add(alternatives: [mode, Array(mode.prefix(1))])
        let rightWidth = right.draw(into: &screen, row: rect.row, column: rect.right - min(rect.width, right.fullWidth),
                                    width: min(rect.width, right.fullWidth))
        // Redrawn flush right when a shorter form was used.
        if rightWidth < min(rect.width, right.fullWidth) {
            screen.fill(row: rect.row, column: rect.column, count: rect.width, style: .plain)
            right.draw(into: &screen, row: rect.row, column: rect.right - rightWidth, width: rightWidth)
        }
        var name = "pooltop"
        if let snapshot = model.snapshot {
            name += " · \(snapshot.supervisor)" + (snapshot.kind.isEmpty ? "" : " (\(snapshot.kind))")
        }
        let room = rect.width - rightWidth - (rightWidth > 0 ? 1 : 0)
        screen.put(TextFormat.truncate(name, width: room), row: rect.row, column: rect.column, style: Palette.bold, limit: max(0, room))
    }

    /// "LIVE embedded", "ATTACHED host:port", "STALE 5s", "CONNECTING", "REPLAY ...".
    private func modePieces() -> [SegmentLine.Piece] {
        let model = context.model
        let place: String
        switch model.mode {
        case .replay:
            guard let r = model.replayStatus else { return [("REPLAY", Palette.replay)] }
            let speed = r.speed == r.speed.rounded() ? "\(Int(r.speed))x" : "\(r.speed)x"
            let time = TextFormat.clock(r.time, utcOffsetSeconds: model.utcOffsetSeconds)
            return [("REPLAY", Palette.replay), (" tx \(r.position)/\(r.total) \(time) \(speed) \(r.playing ? "playing" : "paused")", Palette.plain)]
        case .embedded: place = "embedded"
        case .attached(let address): place = address
        }
        switch model.connection {
        case .live:
            return model.mode == .embedded ? [("LIVE", Palette.live), (" embedded", Palette.plain)]
                : [("ATTACHED", Palette.live), (" \(place)", Palette.plain)]
        case .connecting:
            return [("CONNECTING", Palette.connecting), (" \(place)", Palette.plain)]
        case .stale(let since):
            return [("STALE \(TextFormat.elapsed(from: since, to: context.now))", Palette.stale), (" \(place)", Palette.plain)]
        }
    }

    private func pool() -> SegmentLine {
        var line = SegmentLine()
        guard let s = context.model.snapshot else {
            line.add(context.model.isReplay ? "no snapshot at this point of the recording" : "waiting for the pool…", Palette.dim)
            return line
        }
        let actual = s.workers.count
        let sizes = "min \(s.pool.min) max \(s.pool.max) warm \(s.pool.warm) target \(s.pool.target) "
        let actualStyle = actual < s.pool.target ? Palette.warning : Palette.bold
        line.add(alternatives: [[("pool ", Palette.plain), (sizes, Palette.plain), ("actual \(actual)", actualStyle)],
                                [(sizes, Palette.plain), ("actual \(actual)", actualStyle)]])
        return line
    }

    /// Workers per state; killing only when there are any, gone (kept by the dashboard)
    /// likewise.
    private func workers() -> SegmentLine {
        var line = SegmentLine()
        guard let s = context.model.snapshot else { return line }
        var counts: [WorkerState: Int] = [:]
        for worker in s.workers { counts[worker.state, default: 0] += 1 }
        var full: [SegmentLine.Piece] = []
        var short: [SegmentLine.Piece] = []
        for state in WorkerState.allCases {
            let n = counts[state] ?? 0
            if state.rawValue == "killing", n == 0 { continue }
            let style = n > 0 ? Palette.group(WorkerGroup(state)) : Palette.plain
            full.append(((full.isEmpty ? "" : " ") + "\(state.rawValue) \(n)", style))
            if n > 0 { short.append(((short.isEmpty ? "" : " ") + "\(state.rawValue) \(n)", style)) }
        }
        if short.isEmpty { short.append(("no workers", Palette.dim)) }
        line.add(alternatives: [full, short])
        let gone = context.model.groupCounts[.gone] ?? 0
        if gone > 0 { line.add("gone \(gone)", Palette.dim) }
        return line
    }

    private func clients() -> SegmentLine {
        var line = SegmentLine()
        if let s = context.model.snapshot { line.add("clients \(s.clients.count)") }
        return line
    }

    /// The flags as `+On -Off`, or on a narrow screen only the ones that are on.
    private func flags() -> SegmentLine {
        var line = SegmentLine()
        guard let f = context.model.snapshot?.flags else { return line }
        let flags = [("PoolReady", f.poolReady), ("NormalizingPool", f.normalizingPool),
                     ("WorkersAvailable", f.workersAvailable), ("Ready", f.ready)]
        var full: [SegmentLine.Piece] = []
        for (name, on) in flags {
            full.append(((full.isEmpty ? "" : " ") + (on ? "+" : "-") + name, on ? Palette.flagOn : Palette.flagOff))
        }
        full.append((f.errPool ? " +ErrPool" : " -ErrPool", f.errPool ? Palette.error : Palette.flagOff))
        var short: [SegmentLine.Piece] = []
        for (name, on) in flags where on { short.append(((short.isEmpty ? "" : " ") + name, Palette.flagOn)) }
        if f.errPool { short.append(((short.isEmpty ? "" : " ") + "ErrPool", Palette.error)) }
        if short.isEmpty { short.append(("no flags", Palette.flagOff)) }
        line.add(alternatives: [full, short])
        return line
    }

    private func counters() -> SegmentLine {
        var line = SegmentLine()
        guard let c = context.model.snapshot?.counters else { return line }
        line.add("forked \(c.forked) gone \(c.gone) killed \(c.killed)")
        return line
    }

    private func errors() -> SegmentLine {
        var line = SegmentLine()
        let recent = context.errorsLastMinute
        let seen = max(context.model.errorsSeen, recent)
        let total = context.model.snapshot.map { max($0.counters.errors, seen) } ?? (seen > 0 ? seen : nil)
        line.add([("errors ", Palette.plain), ("\(total.map(String.init) ?? "-") total", (total ?? 0) > 0 ? Palette.errorText : Palette.plain),
                  (", ", Palette.plain), ("\(recent) last min", recent > 0 ? Palette.error : Palette.plain)])
        return line
    }

    /// Time since the supervisor's last Heartbeat and until the next, "-" when unknown.
    private func heartbeat() -> SegmentLine {
        var line = SegmentLine()
        guard let last = context.model.lastHeartbeatAt else {
            let every = context.heartbeatMilliseconds.map { " (every \(TextFormat.duration(milliseconds: $0)))" } ?? ""
            line.add("heartbeat -" + every)
            return line
        }
        let sinceMs = context.time > last ? Int((context.time - last) / 1_000_000) : 0
        var pieces: [SegmentLine.Piece] = [("heartbeat \(TextFormat.duration(milliseconds: sinceMs)) ago", Palette.plain)]
        if let interval = context.heartbeatMilliseconds {
            if sinceMs <= interval {
                pieces.append((", next in \(TextFormat.duration(milliseconds: interval - sinceMs))", Palette.plain))
            } else {
                pieces.append((", overdue \(TextFormat.duration(milliseconds: sinceMs - interval))", Palette.warning))
            }
        } else {
            pieces.append((", next -", Palette.plain))
        }
        line.add(pieces)
        return line
    }
}
