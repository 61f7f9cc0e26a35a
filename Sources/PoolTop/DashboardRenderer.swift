/// Renders a ``DashboardModel`` into a ``Screen``: the only entry point of the views.
///
/// Pure: the same model, size and time give the same screen, so tests read the result as
/// text and the terminal backend diffs it against the last frame.
public enum DashboardRenderer {
    /// The dashboard at `width` x `height`; `now` is this machine's wall clock (ns since the
    /// epoch). Any size works, down to 0 x 0.
    public static func render(_ model: DashboardModel, width: Int, height: Int, now: UInt64) -> Screen {
        var screen = Screen(width: width, height: height)
        guard screen.width > 0, screen.height > 0 else { return screen }
        let layout = model.layout(width: screen.width, height: screen.height)
        let context = FrameContext(model: model, now: now)
        HeaderView(context: context).draw(into: &screen, in: layout.header)
        WorkerListView(context: context).draw(into: &screen, in: layout.list)
        if let log = layout.log { EventLogView(context: context).draw(into: &screen, in: log) }
        if let detail = layout.detail { WorkerDetailView(context: context).draw(into: &screen, in: detail) }
        StatusLineView(context: context).draw(into: &screen, in: layout.status)
        switch model.overlay {
        case .prompt(let prompt)?:
            if let rect = layout.prompt { PromptLineView(prompt: prompt).draw(into: &screen, in: rect) }
        case .help(let scroll)?:
            HelpOverlayView(context: context, scroll: scroll).draw(into: &screen)
        case .confirm(let dialog)?:
            ConfirmDialogView(dialog: dialog).draw(into: &screen)
        case nil:
            break
        }
        return screen
    }
}
