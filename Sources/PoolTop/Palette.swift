import AsyncMachineNode

/// The dashboard's colours in one place, following am-dbg's scheme as operators know it:
/// red for errors, yellow for warnings, grey for what is gone, bold for the selection.
enum Palette {
    static let plain = CellStyle.plain
    static let bold = CellStyle(bold: true)
    static let dim = CellStyle(foreground: .gray, dim: true)
    static let title = CellStyle(reverse: true)
    static let titleBold = CellStyle(bold: true, reverse: true)
    static let focusedTitle = CellStyle(foreground: .cyan, bold: true, reverse: true)
    static let error = CellStyle(foreground: .red, bold: true)
    static let errorText = CellStyle(foreground: .red)
    static let warning = CellStyle(foreground: .yellow)
    static let good = CellStyle(foreground: .green, bold: true)
    static let flagOn = CellStyle(foreground: .green, bold: true)
    static let flagOff = CellStyle(foreground: .gray, dim: true)
    static let columnHeader = CellStyle(underline: true)
    static let border = CellStyle(foreground: .cyan)
    static let live = CellStyle(foreground: .green, bold: true)
    static let paused = CellStyle(foreground: .black, background: .yellow, bold: true)
    static let replay = CellStyle(foreground: .magenta, bold: true)
    static let stale = CellStyle(foreground: .red, bold: true)
    static let connecting = CellStyle(foreground: .yellow, bold: true)

    /// The colour of a group's section header and of its workers' state badge.
    static func group(_ group: WorkerGroup) -> CellStyle {
        switch group {
        case .initing: CellStyle(foreground: .cyan)
        case .idle: CellStyle(foreground: .green)
        case .busy: CellStyle(foreground: .magenta)
        case .killing: CellStyle(foreground: .red)
        case .gone: dim
        }
    }

    /// The status-line block that names the mode.
    static func modeBlock(_ word: String) -> CellStyle {
        switch word {
        case "PAUSED": paused
        case "REPLAY": CellStyle(foreground: .black, background: .magenta, bold: true)
        case "STALE": CellStyle(foreground: .white, background: .red, bold: true)
        default: CellStyle(foreground: .black, background: .green, bold: true)
        }
    }
}
