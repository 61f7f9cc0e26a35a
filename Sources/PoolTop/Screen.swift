/// A terminal colour. `.default` is the terminal's own foreground or background.
public enum TerminalColor: UInt8, Sendable, Hashable, CaseIterable {
    case `default`, black, red, green, yellow, blue, magenta, cyan, white, gray
}

/// How a cell is drawn.
public struct CellStyle: Sendable, Hashable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(foreground: TerminalColor = .default, background: TerminalColor = .default,
                bold: Bool = false, dim: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = CellStyle()
}

/// One character cell. A wide character (CJK, most emoji) occupies its cell and the
/// next one, which holds `continuation` so column arithmetic stays simple.
public struct Cell: Sendable, Hashable {
    public var character: Character
    public var style: CellStyle
    /// True for the right half of a wide character.
    public var isContinuation: Bool

    public init(_ character: Character = " ", style: CellStyle = .plain, isContinuation: Bool = false) {
        self.character = character
        self.style = style
        self.isContinuation = isContinuation
    }

    public static let blank = Cell()
}

/// What the views draw into: a grid of styled cells with no terminal behind it. Tests read
/// it as text; the terminal backend draws only the cells that changed since the last frame.
public struct Screen: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(row: Int, column: Int) -> Cell {
        get { cells[row * width + column] }
        set { cells[row * width + column] = newValue }
    }

    /// Writes `text` from (`row`, `column`), clipped at `limit` columns (default: the
    /// right edge). Returns the column after the last cell written.
    @discardableResult
    public mutating func put(_ text: String, row: Int, column: Int, style: CellStyle = .plain, limit: Int? = nil) -> Int {
        guard row >= 0, row < height, column < width else { return column }
        let end = min(width, column + (limit ?? width))
        var col = column
        for character in text {
            let w = Screen.displayWidth(of: character)
            if w == 0 { continue }
            if col + w > end { break }
            if col >= 0 {
                self[row, col] = Cell(character, style: style)
                if w == 2 { self[row, col + 1] = Cell(" ", style: style, isContinuation: true) }
            }
            col += w
        }
        return col
    }

    /// Paints `count` cells from (`row`, `column`) with spaces in `style`.
    public mutating func fill(row: Int, column: Int = 0, count: Int? = nil, style: CellStyle) {
        guard row >= 0, row < height else { return }
        let end = min(width, column + (count ?? width))
        for col in max(0, column)..<max(max(0, column), end) { self[row, col] = Cell(" ", style: style) }
    }

    /// Changes the style of existing cells (for example, to highlight a selected row).
    public mutating func restyle(row: Int, column: Int = 0, count: Int? = nil, _ change: (inout CellStyle) -> Void) {
        guard row >= 0, row < height else { return }
        let end = min(width, column + (count ?? width))
        for col in max(0, column)..<max(max(0, column), end) { change(&cells[row * width + col].style) }
    }

    /// The row as plain text, trailing spaces removed.
    public func line(_ row: Int) -> String {
        var s = ""
        for col in 0..<width where !self[row, col].isContinuation { s.append(self[row, col].character) }
        while s.last == " " { s.removeLast() }
        return s
    }

    /// Every row as plain text, joined by newlines: what a person would read.
    public var text: String { (0..<height).map(line).joined(separator: "\n") }

    /// Terminal columns a character takes: 2 for East Asian wide and most emoji, 0 for
    /// combining marks and controls, else 1.
    public static func displayWidth(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let v = scalar.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v) || (0x1F900...0x1F9FF).contains(v)
            || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }

    /// Display width of a string.
    public static func displayWidth(of text: String) -> Int { text.reduce(0) { $0 + displayWidth(of: $1) } }
}
