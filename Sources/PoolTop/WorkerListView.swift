import AsyncMachineNode

/// The worker list: a column header, then the workers grouped by state, one section per
/// non-empty group. Only the rows on screen are formatted, so 1,000 workers cost what 20 do.
struct WorkerListView {
    let context: FrameContext

    /// A column after the id. Columns that do not fit are left out, least useful first.
    enum Column: CaseIterable {
        case pid, state, inState, health, roundTrip, errors, uptime, client

        var title: String {
            switch self {
            case .pid: "PID"
            case .state: "STATE"
            case .inState: "IN STATE"
            case .health: "HC AGE"
            case .roundTrip: "RTT"
            case .errors: "ERR"
            case .uptime: "UPTIME"
            case .client: "CLIENT"
            }
        }

        var width: Int {
            switch self {
            case .pid: 7
            case .state: 7
            case .inState: 8
            case .health: 6
            case .roundTrip: 7
            case .errors: 7
            case .uptime: 7
            case .client: 6
            }
        }

        var rightAligned: Bool { self == .pid || self == .errors }

        /// The order columns are given room in, most useful first.
        static let priority: [Column] = [.state, .errors, .inState, .pid, .client, .health, .roundTrip, .uptime]
    }

    /// The columns that fit in `width` next to an id column of `idWidth`, in screen order.
    static func columns(width: Int, idWidth: Int) -> [Column] {
        var used = 2 + idWidth
        var chosen: Set<Column> = []
        for column in Column.priority where used + 1 + column.width <= width {
            chosen.insert(column)
            used += 1 + column.width
        }
        return Column.allCases.filter(chosen.contains)
    }

    func draw(into screen: inout Screen, in rect: Rect) {
        guard !rect.isEmpty else { return }
        let model = context.model
        let idWidth = max(2, model.idColumnWidth)
        let columns = Self.columns(width: rect.width, idWidth: idWidth)
        drawColumnHeader(into: &screen, in: rect, idWidth: idWidth, columns: columns)
        let body = rect.droppingTop(1)
        guard !body.isEmpty else { return }
        guard !model.rows.isEmpty else {
            let text = model.snapshot == nil ? "waiting for the first snapshot…"
                : model.filter.isEmpty ? "no workers" : "no worker matches the filter \"\(model.filter.text)\" (Esc clears)"
            screen.put(text, row: body.row, column: body.column + 2, style: Palette.dim, limit: body.width - 2)
            return
        }
        let top = ListScroll.top(current: model.listTop, selectedLine: model.selectedLine,
                                 showHeaderAbove: model.selectionIsFirstInGroup, visible: body.height, total: model.listLineCount)
        // Where each group's header line and first row are.
        var sections: [(group: WorkerGroup, line: Int, firstRow: Int, count: Int)] = []
        var line = 0, row = 0
        for group in WorkerGroup.allCases {
            guard let count = model.groupCounts[group], count > 0 else { continue }
            sections.append((group, line, row, count))
            line += 1 + count
            row += count
        }
        let selected = model.selectedIndex
        for offset in 0..<body.height {
            let line = top + offset
            guard let section = sections.last(where: { $0.line <= line }), line <= section.line + section.count else { break }
            let y = body.row + offset
            if line == section.line {
                drawSection(section.group, count: section.count, into: &screen, row: y, rect: body)
            } else {
                let index = section.firstRow + line - section.line - 1
                drawRow(model.rows[index], selected: index == selected, into: &screen, row: y, rect: body, idWidth: idWidth, columns: columns)
            }
        }
    }

    private func drawColumnHeader(into screen: inout Screen, in rect: Rect, idWidth: Int, columns: [Column]) {
        let model = context.model
        let style = model.focus == .workers ? Palette.focusedTitle : Palette.columnHeader
        screen.fill(row: rect.row, column: rect.column, count: rect.width, style: style)
        var x = rect.column + 2
        x = screen.put(TextFormat.fit("ID", width: idWidth), row: rect.row, column: x, style: style, limit: rect.right - x)
        for column in columns {
            x += 1
            let width = column == .client ? max(column.width, rect.right - x) : column.width
            x = screen.put(TextFormat.fit(column.title, width: width, rightAligned: column.rightAligned), row: rect.row, column: x,
                           style: style, limit: max(0, rect.right - x))
        }
        // Filter and tags at the right end, where the client column has room to spare.
        var notes: [String] = []
        if !model.filter.isEmpty { notes.append("filter: \(model.filter.text) (\(model.rows.count))") }
        if !model.tagged.isEmpty { notes.append("\(model.tagged.count) tagged") }
        if !notes.isEmpty {
            let text = " " + notes.joined(separator: " · ") + " "
            let width = min(Screen.displayWidth(of: text), max(0, rect.width - 40))
            if width > 4 {
                screen.fill(row: rect.row, column: rect.right - width, count: width, style: style)
                screen.put(TextFormat.truncate(text, width: width), row: rect.row, column: rect.right - width, style: style)
            }
        }
    }

    private func drawSection(_ group: WorkerGroup, count: Int, into screen: inout Screen, row: Int, rect: Rect) {
        var style = Palette.group(group)
        style.bold = true
        let end = screen.put("\(group.title) (\(count)) ", row: row, column: rect.column, style: style, limit: rect.width)
        if end < rect.right {
            screen.put(String(repeating: "─", count: rect.right - end), row: row, column: end, style: Palette.dim, limit: rect.right - end)
        }
    }

    private func drawRow(_ row: WorkerRow, selected: Bool, into screen: inout Screen, row y: Int, rect: Rect,
                         idWidth: Int, columns: [Column]) {
        let model = context.model
        let w = row.worker
        let recent = context.recentErrors[w.id] ?? 0
        let gone = row.group == .gone
        // One colour for the whole row says the most important thing about the worker.
        let base: CellStyle = gone ? Palette.dim : recent > 0 ? Palette.errorText : context.heartbeatIsStale(w) ? Palette.warning : Palette.plain
        // The gaps between columns take the row's colour too, so a selected (reversed) row
        // is one solid bar.
        screen.fill(row: y, column: rect.column, count: rect.width, style: base)
        if model.tagged.contains(w.id) {
            screen.put("*", row: y, column: rect.column, style: CellStyle(foreground: .yellow, bold: true))
        }
        var x = rect.column + 2
        x = screen.put(TextFormat.fit(w.id, width: idWidth), row: y, column: x, style: base, limit: max(0, rect.right - x))
        for column in columns {
            x += 1
            guard x < rect.right else { break }
            let width = column == .client ? max(column.width, rect.right - x) : column.width
            let style = column == .state && !gone && recent == 0 ? Palette.group(row.group) : base
            x = screen.put(TextFormat.fit(value(column, row, recent: recent), width: width, rightAligned: column.rightAligned),
                           row: y, column: x, style: style, limit: max(0, rect.right - x))
        }
        if selected {
            let focused = model.focus == .workers
            screen.restyle(row: y, column: rect.column, count: rect.width) { style in
                style.reverse = true
                style.bold = focused
                style.dim = false
            }
        }
    }

    private func value(_ column: Column, _ row: WorkerRow, recent: Int) -> String {
        let w = row.worker
        switch column {
        case .pid: return w.pid.map(String.init) ?? "-"
        case .state: return w.state.rawValue
        case .inState: return TextFormat.elapsed(from: row.stateSince, to: context.time)
        case .health: return w.lastHealthcheckAgeMilliseconds.map { TextFormat.duration(milliseconds: $0) } ?? "-"
        case .roundTrip: return w.healthcheckRoundTripMicroseconds.map { TextFormat.roundTrip(microseconds: $0) } ?? "-"
        case .errors: return "\(recent)/\(context.model.errorTotal(of: w, recent: recent))"
        case .uptime: return TextFormat.duration(milliseconds: w.uptimeMilliseconds)
        case .client: return w.client ?? "-"
        }
    }
}
