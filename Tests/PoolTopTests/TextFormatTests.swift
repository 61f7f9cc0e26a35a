import Testing
@testable import PoolTop

@Suite("Text formatting")
struct TextFormatTests {
    @Test("clock times read HH:MM:SS.mmm")
    func clock() {
        #expect(TextFormat.clock(Fixture.t0) == "12:00:00.000")
        #expect(TextFormat.clock(Fixture.t0 + 61_234_000_000) == "12:01:01.234")
        #expect(TextFormat.clock(Fixture.t0, utcOffsetSeconds: 3600) == "13:00:00.000")
        #expect(TextFormat.clock(Fixture.t0, utcOffsetSeconds: -13 * 3600) == "23:00:00.000")
        #expect(TextFormat.clock(Fixture.t0, milliseconds: false) == "12:00:00")
    }

    @Test("durations are short", arguments: [
        (0, "0ms"), (850, "850ms"), (12_000, "12s"), (303_000, "5m03s"), (7_500_000, "2h05m"), (273_600_000, "3d04h"), (-5, "0ms"),
    ])
    func durations(ms: Int, text: String) {
        #expect(TextFormat.duration(milliseconds: ms) == text)
    }

    @Test("round trips")
    func roundTrips() {
        #expect(TextFormat.roundTrip(microseconds: 850) == "850µs")
        #expect(TextFormat.roundTrip(microseconds: 1_234) == "1.2ms")
        #expect(TextFormat.roundTrip(microseconds: 35_000) == "35ms")
        #expect(TextFormat.roundTrip(microseconds: 1_500_000) == "1.5s")
    }

    @Test("truncating and fitting count display columns")
    func fitting() {
        #expect(TextFormat.truncate("worker-12", width: 6) == "worke…")
        #expect(TextFormat.truncate("工作者工作者", width: 5) == "工作…")
        #expect(TextFormat.fit("w1", width: 4) == "w1  ")
        #expect(TextFormat.fit("42", width: 4, rightAligned: true) == "  42")
        #expect(Screen.displayWidth(of: TextFormat.fit("工作者", width: 5)) == 5)
    }

    @Test("wrapping never loops or loses the line, whatever the width", arguments: [0, 1, 2, 3, 10])
    func wrapping(width: Int) {
        let text = "Kill worker 工作者-1 (pid 4401, busy, client averyveryverylongclientname)?"
        let lines = TextFormat.wrap(text, width: width)
        for line in lines { #expect(Screen.displayWidth(of: line) <= width) }
        if width >= 2 { #expect(lines.joined().filter { $0 != " " } == text.filter { $0 != " " }) }
    }
}
