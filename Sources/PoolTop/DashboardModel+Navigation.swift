/// Moving the selection and scrolling the panes.
extension DashboardModel {
    /// Selects the row at `index` (clamped).
    mutating func select(row index: Int) {
        guard !rows.isEmpty else { return }
        let i = min(max(0, index), rows.count - 1)
        selectedWorker = rows[i].id
        selectionHint = i
        keepSelectionVisible()
    }

    /// Moves the selection by `delta` rows.
    mutating func moveSelection(by delta: Int) {
        guard !rows.isEmpty else { return }
        select(row: (selectedIndex ?? 0) + delta)
    }

    /// Scrolls the list just enough to show the selection (and the header of its group when
    /// it is the group's first row), like every list an operator knows.
    mutating func keepSelectionVisible() {
        listTop = ListScroll.top(current: listTop, selectedLine: selectedLine, showHeaderAbove: selectionIsFirstInGroup,
                                 visible: layout.listBodyHeight, total: listLineCount)
    }

    /// The list line of the selection, if any.
    var selectedLine: Int? { selectedIndex.map { listLine(ofRow: $0) } }

    var selectionIsFirstInGroup: Bool {
        guard let i = selectedIndex else { return false }
        return i == 0 || rows[i - 1].group != rows[i].group
    }

    /// Runs a movement command on the focused pane.
    mutating func move(_ command: Command) {
        let layout = self.layout
        switch focus {
        case .workers:
            let page = max(1, layout.listBodyHeight - 1)
            switch command {
            case .moveUp: moveSelection(by: -1)
            case .moveDown: moveSelection(by: 1)
            case .top: select(row: 0)
            case .bottom: select(row: rows.count - 1)
            case .pageUp: moveSelection(by: -page)
            case .pageDown: moveSelection(by: page)
            default: break
            }
        case .log:
            // The log scrolls back from its newest line; 0 follows the tail.
            let page = max(1, layout.logBodyHeight - 1)
            let most = max(0, log.count - 1)
            switch command {
            case .moveUp: logScroll = min(most, logScroll + 1)
            case .moveDown: logScroll = max(0, logScroll - 1)
            case .top: logScroll = most
            case .bottom: logScroll = 0
            case .pageUp: logScroll = min(most, logScroll + page)
            case .pageDown: logScroll = max(0, logScroll - page)
            default: break
            }
        case .detail:
            let page = max(1, layout.detailBodyHeight - 1)
            switch command {
            case .moveUp: detailScroll = max(0, detailScroll - 1)
            case .moveDown: detailScroll += 1
            case .top: detailScroll = 0
            case .bottom: detailScroll = Int.max / 2
            case .pageUp: detailScroll = max(0, detailScroll - page)
            case .pageDown: detailScroll += page
            default: break
            }
        }
    }

    /// Moves the focus to the worker list when its pane left the screen (the detail took
    /// the log's place, or the terminal shrank), so keys never act on something unseen.
    mutating func keepFocusOnScreen() {
        let panes = layout.panes
        if !panes.contains(focus) { focus = panes.first ?? .workers }
    }

    /// Tab and Shift-Tab: the next or previous pane on screen.
    mutating func cyclePane(forward: Bool) {
        let panes = layout.panes
        guard !panes.isEmpty else { return }
        let current = panes.firstIndex(of: focus) ?? 0
        focus = panes[(current + (forward ? 1 : panes.count - 1)) % panes.count]
    }
}

/// The scrolling rule of the worker list, shared by the model (which remembers the top
/// line) and the view (which must show the selection even at a size the model was not told).
enum ListScroll {
    /// The first line to show: `current`, moved as little as possible so that
    /// `selectedLine` (and the line above it, for a group's first row) is visible.
    static func top(current: Int, selectedLine: Int?, showHeaderAbove: Bool, visible: Int, total: Int) -> Int {
        guard visible > 0 else { return 0 }
        var top = current
        if let line = selectedLine {
            let first = showHeaderAbove ? max(0, line - 1) : line
            if first < top { top = first }
            if line >= top + visible { top = line - visible + 1 }
        }
        return min(max(0, top), max(0, total - visible))
    }
}
