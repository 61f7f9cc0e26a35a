import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Testing

@Suite("Searches with a budget")
struct SearchBudgetTests {
    private struct Failure: Error {}

    /// 3,000 transitions with one error, raised as transition `errorAt`.
    private func recording(_ dir: TempDir, errorAt: Int) throws -> String {
        let path = dir.file("budget.amrec")
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "test", toolVersion: "0"),
                                    configuration: .init(checkpointInterval: 100))
        let machine = Machine(try Schema([.start: StateSpec(), "Work": StateSpec(require: [.start])]), id: "m")
        recorder.record(machine, role: .other)
        machine.add1(.start)
        for n in 2...3_000 {
            if n == errorAt { machine.addErr(Failure()) } else { machine.toggle(["Work"]) }
        }
        recorder.close()
        return path
    }

    @Test("a forward search stops where its budget ran out, and searching again goes on to the match")
    func forward() throws {
        let dir = TempDir()
        let cursor = try ReplayCursor(path: try recording(dir, errorAt: 2_500))
        cursor.searchBudget = 400
        var stops: [UInt64] = []
        while try !cursor.nextError() {
            #expect(cursor.searchStoppedEarly, "gave up before the end, at \(cursor.position)")
            stops.append(cursor.position)
            try #require(stops.count < 50)
        }
        #expect(cursor.position == 2_500)
        #expect(stops.count >= 4, "\(stops)")
        #expect(stops == stops.sorted() && Set(stops).count == stops.count, "each search went further: \(stops)")
        // With the error behind it, a search runs out at the end, not early.
        cursor.searchBudget = .max
        #expect(try !cursor.nextError())
        #expect(!cursor.searchStoppedEarly)
        #expect(cursor.position == 2_500)
    }

    @Test("a backward search does the same towards the start")
    func backward() throws {
        let dir = TempDir()
        let cursor = try ReplayCursor(path: try recording(dir, errorAt: 300))
        try cursor.last()
        cursor.searchBudget = 400
        var stops: [UInt64] = []
        while try !cursor.previousError() {
            #expect(cursor.searchStoppedEarly)
            stops.append(cursor.position)
            try #require(stops.count < 50)
        }
        #expect(cursor.position == 300)
        #expect(stops.count >= 4 && stops == stops.sorted(by: >), "\(stops)")
    }
}
