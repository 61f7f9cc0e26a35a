import AsyncMachineNode

/// The event log pane: transitions, actions and errors, newest at the bottom. It follows
/// the tail unless scrolled back; with follow on it shows only the selected worker.
struct EventLogView {
    let context: FrameContext

    func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let model = context.model
        let body = rect.droppingTop(1)
        let include = Self.filter(for: model)
        let wanted = body.height + model.logScroll
        var events = model.log.last(wanted, before: model.visibleLogEnd, where: include)
        // Scrolled back: drop the newest lines, keep the ones above them.
        let scroll = min(model.logScroll, max(0, events.count - body.height))
        if scroll > 0 { events.removeLast(scroll) }
        let shown = Array(events.suffix(body.height))
        drawTitle(into: &screen, in: rect, scrolled: scroll)
        guard !body.isEmpty else { return }
        if shown.isEmpty {
            let text = model.log.isEmpty ? "no events yet" : "no event matches (filter or follow)"
            screen.put(text, row: body.row, column: body.column + 2, style: Palette.dim, limit: body.width - 2)
            return
        }
        let whoWidth = min(12, max(5, model.idColumnWidth))
        // Newest at the bottom: the last line of the pane is the newest event shown.
        let first = body.bottom - shown.count
        for (i, event) in shown.enumerated() {
            EventLine(event).draw(time: event.time, utcOffsetSeconds: model.utcOffsetSeconds, whoWidth: whoWidth,
                                  into: &screen, row: first + i, rect: body)
        }
    }

    /// Which events the pane shows: the followed worker's only, and those passing the filter.
    /// Without a filter, transitions that changed nothing (a supervisor re-adding an active
    /// flag) are left out: they are most of the stream and tell a person nothing.
    static func filter(for model: DashboardModel) -> (PoolEvent) -> Bool {
        let followed = model.follow ? model.selectedWorker : nil
        let filter = model.filter
        let lookup: (String) -> (PoolSnapshot.Worker, WorkerGroup)? = { id in model.row(id).map { ($0.worker, $0.group) } }
        return { event in
            if let followed, event.subjectWorker != followed { return false }
            if filter.isEmpty { return !event.isUnchangedTransition }
            return filter.matches(event: event, line: EventLine(event).plain, worker: lookup)
        }
    }

    private func drawTitle(into screen: inout Screen, in rect: Rect, scrolled: Int) {
        let model = context.model
        var title = " Log"
        if model.follow { title += ": \(model.selectedWorker ?? "-") (follow)" }
        if !model.filter.isEmpty { title += " · filtered" }
        if model.paused { title += " · paused" }
        if scrolled > 0 { title += " · \(scrolled) newer below (G: tail)" }
        title += " "
        drawPaneTitle(title, focused: model.focus == .log, into: &screen, in: rect)
    }
}

/// A pane's title row: the title, then a rule to the right edge. The focused pane's title
/// is highlighted so Tab's effect is visible.
func drawPaneTitle(_ title: String, focused: Bool, into screen: inout Screen, in rect: Rect) {
    guard !rect.isEmpty else { return }
    screen.put(String(repeating: "─", count: rect.width), row: rect.row, column: rect.column, style: Palette.dim, limit: rect.width)
    screen.put(title, row: rect.row, column: rect.column + min(1, rect.width - 1), style: focused ? Palette.focusedTitle : Palette.bold,
               limit: max(0, rect.width - 1))
}
