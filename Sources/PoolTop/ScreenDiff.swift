/// Which cells a terminal must rewrite to turn one frame into the next. Pure: it looks at
/// two `Screen` values only, so the rules about wide characters can be tested without a
/// terminal. `NcursesTerminal.draw` uses it.
public enum ScreenDiff {
    /// A horizontal stretch of cells on one row: columns `column ..< column + count`.
    public struct Run: Sendable, Hashable, CustomStringConvertible {
        public var row: Int
        public var column: Int
        public var count: Int

        public init(row: Int, column: Int, count: Int) {
            self.row = row
            self.column = column
            self.count = count
        }

        public var columns: Range<Int> { column..<(column + count) }
        public var description: String { "row \(row) cols \(column)..<\(column + count)" }
    }

    /// The runs of cells that differ between `old` and `new`, row by row, left to right.
    ///
    /// - With no `old` frame, or one of a different size, every row of `new` is one run
    ///   (a full redraw).
    /// - A run never splits a wide character of either frame: it grows left over the
    ///   lead cell of a wide character whose right half it touches, and right over the
    ///   right half of one whose lead it touches. A terminal blanks both halves when one
    ///   half is overwritten, and draws both when the lead is written.
    /// - Runs on a row that are at most `mergingGapsUpTo` unchanged cells apart become
    ///   one run: one cursor move is cheaper than a few skipped cells.
    public static func runs(from old: Screen?, to new: Screen, mergingGapsUpTo gap: Int = 2) -> [Run] {
        guard new.width > 0, new.height > 0 else { return [] }
        guard let old, old.width == new.width, old.height == new.height else {
            return (0..<new.height).map { Run(row: $0, column: 0, count: new.width) }
        }
        var result: [Run] = []
        let width = new.width
        for row in 0..<new.height {
            var rowRuns: [Run] = []
            var column = 0
            while column < width {
                guard old[row, column] != new[row, column] else {
                    column += 1
                    continue
                }
                var start = column
                var end = column + 1
                while end < width, old[row, end] != new[row, end] { end += 1 }
                column = end
                // Never split a wide character of either frame.
                while start > 0, new[row, start].isContinuation || old[row, start].isContinuation { start -= 1 }
                while end < width, new[row, end].isContinuation || old[row, end].isContinuation { end += 1 }
                if let last = rowRuns.last, start <= last.column + last.count + max(0, gap) {
                    let merged = min(last.column, start)
                    rowRuns[rowRuns.count - 1] = Run(row: row, column: merged,
                                                     count: max(last.column + last.count, end) - merged)
                } else {
                    rowRuns.append(Run(row: row, column: start, count: end - start))
                }
                column = max(column, end)
            }
            result.append(contentsOf: rowRuns)
        }
        return result
    }

    /// What a terminal should write for the cell at (`row`, `column`): `nil` when the cell
    /// is the right half of a wide character drawn from the cell on its left, else the
    /// character to write there. Cells a terminal cannot show as they are become a space:
    /// a wide character without its right half (or at the right edge), a right half
    /// without its wide character, control characters and lone combining marks.
    public static func glyph(in screen: Screen, row: Int, column: Int) -> Character? {
        let cell = screen[row, column]
        if cell.isContinuation {
            if column > 0 {
                let left = screen[row, column - 1]
                if !left.isContinuation, Screen.displayWidth(of: left.character) == 2 { return nil }
            }
            return " "
        }
        switch Screen.displayWidth(of: cell.character) {
        case 0:
            return " "
        case 2:
            let hasRightHalf = column + 1 < screen.width && screen[row, column + 1].isContinuation
            return hasRightHalf ? cell.character : " "
        default:
            return cell.character
        }
    }
}
