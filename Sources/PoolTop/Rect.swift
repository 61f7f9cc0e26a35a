/// A rectangle of screen cells a view draws into.
public struct Rect: Sendable, Equatable {
    /// The top row and left column.
    public var row: Int
    public var column: Int
    /// Size in cells (never negative).
    public var width: Int
    public var height: Int

    public init(row: Int, column: Int, width: Int, height: Int) {
        self.row = row
        self.column = column
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// No cells at all.
    public static let empty = Rect(row: 0, column: 0, width: 0, height: 0)

    /// True when the rectangle holds no cell.
    public var isEmpty: Bool { width == 0 || height == 0 }
    /// The row after the last one.
    public var bottom: Int { row + height }
    /// The column after the last one.
    public var right: Int { column + width }

    /// The rectangle without its first `count` rows.
    func droppingTop(_ count: Int) -> Rect {
        let n = min(max(0, count), height)
        return Rect(row: row + n, column: column, width: width, height: height - n)
    }
}
