@testable import PoolTop
import Testing

@Suite("Worker list styles")
struct WorkerListStyleTests {
    @Test("the selected row is one solid reversed bar in its colour, gaps between columns included")
    func selectedRowIsSolid() {
        // An error in the last minute colours w5's row red; w5 is the first row, selected.
        let model = Fixture.model(events: [Fixture.error("w5", "ErrWork: boom", at: Fixture.t0)])
        let screen = model.screen()
        // Row 6 is the first worker's (selected) at 80x24; the list spans the width.
        let row = (0..<screen.height).first { screen.line($0).hasPrefix("  w5 ") } ?? 6
        let cells = (0..<screen.width).map { screen[row, $0].style }
        #expect(cells.allSatisfy { $0.reverse })
        // An erring row is red through and through, the gaps between columns too.
        #expect(cells.allSatisfy { $0.foreground == .red }, "\(Set(cells.map { "\($0.foreground)" }))")
    }
}
