/// Where each pane goes for a terminal size. The model uses it too (to page and to keep
/// the selection in view), so both agree on how many rows a pane has.
public struct DashboardLayout: Sendable, Equatable {
    /// The pool header (up to 4 rows).
    public var header: Rect
    /// The worker list, its column header included.
    public var list: Rect
    /// The event log, when it has room (and the detail does not take its place).
    public var log: Rect?
    /// The worker detail, when open (always from ``wideWidth`` columns on).
    public var detail: Rect?
    /// The text prompt's row, while a prompt is open.
    public var prompt: Rect?
    /// The status line (the last row).
    public var status: Rect

    /// From this width on, the detail pane sits beside the worker list at all times.
    public static let wideWidth = 120

    /// The layout for a terminal of `width` x `height`, with the detail pane open or not
    /// and a prompt open or not. Any size works; panes that do not fit are empty.
    public static func compute(width: Int, height: Int, showDetail: Bool, prompt: Bool) -> DashboardLayout {
        let w = max(0, width), h = max(0, height)
        var layout = DashboardLayout(header: .empty, list: .empty, log: nil, detail: nil, prompt: nil, status: .empty)
        guard w > 0, h > 0 else { return layout }
        var bottom = h
        if prompt, h == 1 {
            // One row: the prompt is what the operator is typing into, so it wins.
            layout.prompt = Rect(row: 0, column: 0, width: w, height: 1)
            return layout
        }
        layout.status = Rect(row: h - 1, column: 0, width: w, height: 1)
        bottom -= 1
        if prompt {
            layout.prompt = Rect(row: bottom - 1, column: 0, width: w, height: 1)
            bottom -= 1
        }
        // The header shrinks first on short terminals: the workers are what matters.
        let headerHeight = bottom >= 16 ? 4 : bottom >= 10 ? 3 : bottom >= 5 ? 2 : bottom >= 2 ? 1 : 0
        layout.header = Rect(row: 0, column: 0, width: w, height: headerHeight)
        let bodyTop = headerHeight
        let body = bottom - bodyTop
        guard body > 0 else { return layout }
        if w >= wideWidth {
            let logHeight = body >= 10 ? max(4, body * 2 / 5) : 0
            let top = body - logHeight
            let detailWidth = min(64, max(40, w * 35 / 100))
            layout.list = Rect(row: bodyTop, column: 0, width: w - detailWidth, height: top)
            layout.detail = Rect(row: bodyTop, column: w - detailWidth, width: detailWidth, height: top)
            if logHeight > 0 { layout.log = Rect(row: bodyTop + top, column: 0, width: w, height: logHeight) }
        } else {
            let lower = body >= 8 ? (showDetail ? body / 2 : max(3, body * 2 / 5)) : 0
            layout.list = Rect(row: bodyTop, column: 0, width: w, height: body - lower)
            if lower > 0 {
                let rect = Rect(row: bodyTop + body - lower, column: 0, width: w, height: lower)
                if showDetail { layout.detail = rect } else { layout.log = rect }
            } else if showDetail {
                // Too short for two panes: the detail the operator asked for replaces the list.
                layout.detail = layout.list
                layout.list = .empty
            }
        }
        return layout
    }

    /// The panes on screen, in Tab order.
    public var panes: [Pane] {
        var panes: [Pane] = []
        if !list.isEmpty { panes.append(.workers) }
        if let detail, !detail.isEmpty { panes.append(.detail) }
        if let log, !log.isEmpty { panes.append(.log) }
        return panes
    }

    /// Worker list rows below its column header.
    public var listBodyHeight: Int { max(0, list.height - 1) }
    /// Log lines below its title.
    public var logBodyHeight: Int { max(0, (log?.height ?? 0) - 1) }
    /// Detail lines below its title.
    public var detailBodyHeight: Int { max(0, (detail?.height ?? 0) - 1) }
}
