import AsyncMachineNode

/// The selected worker in full: identity, state and timing, health, errors, active states,
/// and its latest transitions and errors from the event log.
struct WorkerDetailView {
    let context: FrameContext

    /// How many of the worker's transitions and errors to list.
    static let recentTransitions = 12
    static let recentErrorCount = 5

    func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        var area = rect
        if rect.column > 0 {
            // Beside the list: a rule on the left keeps the two panes apart.
            for y in rect.row..<rect.bottom { screen.put("│", row: y, column: rect.column, style: Palette.dim) }
            area = Rect(row: rect.row, column: rect.column + 1, width: rect.width - 1, height: rect.height)
        }
        let model = context.model
        drawPaneTitle(" Detail" + (model.selectedWorker.map { ": \($0) " } ?? " "), focused: model.focus == .detail, into: &screen, in: area)
        let body = area.droppingTop(1)
        guard !body.isEmpty else { return }
        let lines = self.lines(width: body.width - 1)
        let scroll = min(model.detailScroll, max(0, lines.count - body.height))
        for (offset, line) in lines.dropFirst(scroll).prefix(body.height).enumerated() {
            var x = body.column + 1
            for piece in line {
                x = screen.put(piece.text, row: body.row + offset, column: x, style: piece.style, limit: max(0, body.right - x))
            }
        }
    }

    typealias Line = [SegmentLine.Piece]

    /// The pane's content, wrapped to `width`.
    func lines(width: Int) -> [Line] {
        let model = context.model
        guard let row = model.selectedRow else { return [[("no worker selected", Palette.dim)]] }
        let w = row.worker
        var lines: [Line] = []
        func text(_ s: String, _ style: CellStyle = .plain) {
            for part in TextFormat.wrap(s, width: max(1, width)) { lines.append([(part, style)]) }
        }
        let stateText = row.group == .gone ? "gone \(TextFormat.elapsed(from: row.goneAt ?? context.time, to: context.time)) ago (last state \(w.state.rawValue))"
            : "\(w.state.rawValue) for \(TextFormat.elapsed(from: row.stateSince, to: context.time))"
        lines.append([("\(w.id) ", Palette.bold), (stateText, row.group == .gone ? Palette.dim : Palette.group(row.group))])
        if row.group == .killing { text("being killed", Palette.errorText) }
        text("pid \(w.pid.map(String.init) ?? "-") · uptime \(TextFormat.duration(milliseconds: w.uptimeMilliseconds)) · client \(w.client ?? "-")")
        if !w.workerId.isEmpty, w.workerId != w.id { text("worker id \(w.workerId)", Palette.dim) }
        let health = w.lastHealthcheckAgeMilliseconds.map { "\(TextFormat.duration(milliseconds: $0)) ago" } ?? "none yet"
        let rtt = w.healthcheckRoundTripMicroseconds.map { ", round trip \(TextFormat.roundTrip(microseconds: $0))" } ?? ""
        text("healthcheck \(health)\(rtt)", context.heartbeatIsStale(w) ? Palette.warning : Palette.plain)
        if !w.localAddress.isEmpty || !w.publicAddress.isEmpty {
            text("local \(w.localAddress.isEmpty ? "-" : w.localAddress) · public \(w.publicAddress.isEmpty ? "-" : w.publicAddress)", Palette.dim)
        }
        let recent = context.recentErrors[w.id] ?? 0
        text("errors \(model.errorTotal(of: w, recent: recent)) total, \(recent) last min", recent > 0 ? Palette.errorText : Palette.plain)
        if let last = w.lastError { text("last error: \(last)", Palette.errorText) }
        text("active: " + (w.activeStates.isEmpty ? "-" : w.activeStates.joined(separator: " ")))

        let events = model.log.last(Self.recentTransitions, before: model.visibleLogEnd) { $0.subjectWorker == w.id && $0.kind != .error && !$0.isUnchangedTransition }
        lines.append([])
        lines.append([("Last transitions", Palette.bold)])
        if events.isEmpty { lines.append([("none in the log", Palette.dim)]) }
        for event in events {
            let line = EventLine(event)
            lines.append([(TextFormat.clock(event.time, utcOffsetSeconds: model.utcOffsetSeconds) + " ", Palette.dim),
                          (line.gutter + " ", line.gutterStyle), (line.text, line.style)])
        }
        let errors = model.log.last(Self.recentErrorCount, before: model.visibleLogEnd) { $0.isError && $0.subjectWorker == w.id }
        lines.append([])
        lines.append([("Last errors", Palette.bold)])
        if errors.isEmpty { lines.append([("none in the log", Palette.dim)]) }
        for event in errors {
            lines.append([(TextFormat.clock(event.time, utcOffsetSeconds: model.utcOffsetSeconds) + " ", Palette.dim)])
            text("  " + (event.error ?? "error"), Palette.errorText)
        }
        return lines
    }
}
