import AsyncMachine
import AsyncMachineNode
import Foundation
import Testing
@testable import PoolTop

@Suite("Dashboard screens")
struct DashboardRendererTests {
    static let events = [
        Fixture.heartbeat(at: Fixture.t0 - Fixture.seconds(10)),
        Fixture.transition("w12", called: ["Working"], entered: ["Working"], exited: ["Idle"], at: Fixture.t0 - Fixture.seconds(3)),
        Fixture.transition("w3", called: ["Working"], accepted: false, at: Fixture.t0 - Fixture.seconds(2.5)),
        Fixture.error("w2", "ErrWork: boom", at: Fixture.t0 - Fixture.seconds(2)),
    ]

    @Test("live at 80x24: header, groups, log and status line as a person reads them")
    func live() {
        let model = Fixture.model(events: Self.events)
        let screen = model.screen()
        let lines = screen.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 24)
        #expect(lines[0].hasPrefix("pooltop · demo (demo-worker)"))
        #expect(lines[0].hasSuffix("LIVE embedded"))
        #expect(lines[1] == "pool min 2 max 10 warm 5 target 7 actual 5  clients 1  forked 5 gone 0 killed 0")
        // At 80 columns the flags that are off are left out.
        #expect(lines[2] == "initing 1 rpc 0 ready 0 idle 3 busy 1  PoolReady WorkersAvailable Ready")
        // The snapshot counts no errors; the log's ErrWork of w2 makes the total 1.
        #expect(lines[3] == "errors 1 total, 1 last min  heartbeat 11s ago, next in 49s")
        #expect(lines[4].hasPrefix("  ID  ") && lines[4].contains("PID STATE   IN STATE"))
        #expect(lines[5].hasPrefix("Initing (1) ─"))
        #expect(lines[6].hasPrefix("  w5 "))
        #expect(lines[7].hasPrefix("Idle/Ready (3) ─"))
        #expect(lines[11].hasPrefix("Busy (1) ─"))
        #expect(lines[12].hasPrefix("  w12    4411 busy    1s") && lines[12].hasSuffix("0/0 1m05s   c-3"))
        #expect(screen.text.contains("11:59:50.000 ✓ super add Heartbeat  +Heartbeat"))
        #expect(screen.text.contains("11:59:57.000 ✓ w12   add Working  +Working -Idle"))
        #expect(screen.text.contains("11:59:57.500 ✗ w3    add Working  canceled"))
        #expect(screen.text.contains("11:59:58.000 ! w2    error: ErrWork: boom"))
        #expect(lines[23].hasPrefix(" LIVE "))
        #expect(lines[23].contains("f fork  x kill  p provide"))
        // Newest log line at the bottom of the pane, right above the status line.
        #expect(lines[22].contains("error: ErrWork: boom"))
        // The selected row (first worker) is highlighted.
        #expect(screen[6, 3].style.reverse)
        #expect(lines.allSatisfy { Screen.displayWidth(of: $0) <= 80 })
    }

    @Test("colours: red for an error in the last minute, yellow for a stale heartbeat, state colours")
    func colours() {
        let workers = [Fixture.worker(1), Fixture.worker(2, errors: 1), Fixture.worker(3, healthAgeMs: 180_000),
                       Fixture.worker(4, .busy)]
        var model = Fixture.model(snapshot: Fixture.snapshot(workers), events: [Fixture.error("w2", at: Fixture.t0)])
        model.press(.character("G"))
        let screen = model.screen()
        #expect(screen.style(of: "w2 ")?.foreground == .red)
        #expect(screen.style(of: "w3 ")?.foreground == .yellow)
        #expect(screen.style(of: "w1 ")?.foreground == .default)
        #expect(screen.style(of: "idle")?.foreground == .green)
        #expect(screen.style(of: "Busy (1)")?.foreground == .magenta)
        #expect(screen.style(of: "w4 ")?.reverse == true)
        // An error a minute and a half ago is no longer "recent".
        let later = model.screen(now: Fixture.t0 + Fixture.seconds(90))
        #expect(later.style(of: "w2 ")?.foreground == .default)
        #expect(later.text.contains("0 last min"))
    }

    @Test("replay: REPLAY in the header with position, time and speed; actions disabled")
    func replay() {
        var model = Fixture.model(.replay, events: Self.events)
        model.apply(.replayStatus(ReplayStatus(position: 120, total: 4500, time: Fixture.t0 + Fixture.seconds(5.25), speed: 2, playing: true)))
        let screen = model.screen(now: Fixture.t0 + Fixture.seconds(3600))
        #expect(screen.line(0).hasSuffix("REPLAY tx 120/4500 12:00:05.250 2x playing"))
        #expect(screen.line(23).hasPrefix(" REPLAY  actions disabled"))
        #expect(screen.line(23).contains("Space play"))
        // Ages are read at the cursor's time, not the wall clock's.
        #expect(screen.text.contains("heartbeat 15s ago"))
        #expect(screen.text.contains("1 last min"))
    }

    @Test("connection states in the header")
    func connection() {
        var model = Fixture.model(.attached(address: "10.0.0.5:7000"))
        #expect(model.screen().line(0).hasSuffix("ATTACHED 10.0.0.5:7000"))
        model.apply(.connection(.stale(since: Fixture.t0 - Fixture.seconds(4))))
        let stale = model.screen()
        #expect(stale.line(0).hasSuffix("STALE 5s 10.0.0.5:7000"))
        #expect(stale.style(of: "STALE")?.foreground == .red)
        model.apply(.connection(.connecting))
        #expect(model.screen().line(0).hasSuffix("CONNECTING 10.0.0.5:7000"))
        let empty = DashboardModel(mode: .attached(address: "10.0.0.5:7000"))
        #expect(empty.screen().text.contains("waiting for the pool…"))
        #expect(empty.screen().text.contains("waiting for the first snapshot…"))
        #expect(empty.screen().text.contains("heartbeat -"))
    }

    @Test("filtered: / state=busy shows only busy workers, and says so")
    func filtered() {
        var model = Fixture.model(events: Self.events)
        model.press(.character("/"))
        model.type("state=busy")
        var screen = model.screen()
        #expect(screen.line(22) == "/state=busy")
        model.press(.enter)
        screen = model.screen()
        #expect(model.rows.map(\.id) == ["w12"])
        #expect(screen.text.contains("filter: state=busy (1)"))
        #expect(!screen.text.contains("Idle/Ready"))
        // The log follows the filter: only w12's events.
        #expect(screen.text.contains("+Working -Idle"))
        #expect(!screen.text.contains("ErrWork"))
        // ! inverts.
        model.press(.character("/"))
        model.press(.backspace, .backspace, .backspace, .backspace, .backspace, .backspace, .backspace, .backspace, .backspace, .backspace)
        model.type("!w1")
        #expect(model.rows.map(\.id) == ["w5", "w2", "w3"])
        model.press(.escape)
        #expect(model.rows.count == 5)
        // Nothing matches: the list says so.
        model.press(.character("/"))
        model.type("client=nobody")
        #expect(model.screen().text.contains("no worker matches the filter \"client=nobody\""))
    }

    @Test("tiny and odd sizes never crash", arguments: [(0, 0), (1, 1), (10, 3), (20, 5), (3, 40), (40, 8), (80, 2), (200, 60)])
    func sizes(width: Int, height: Int) {
        var model = Fixture.model(events: Self.events)
        for keys in [[Key.enter], [.escape, .character("?")], [.escape, .character("x")], [.escape, .character(":")], [.escape, .escape]] {
            model.press(keys[0])
            for key in keys.dropFirst() { model.press(key) }
            let screen = model.screen(width, height)
            #expect(screen.width == width && screen.height == height)
            for row in 0..<height { #expect(Screen.displayWidth(of: screen.line(row)) <= width) }
        }
        model.resize(width: width, height: height)
        model.press(.pageDown, .pageUp, .character("G"), .tab, .pageDown)
        _ = model.screen(width, height)
    }

    @Test("1,000 workers: only the visible rows are drawn, the selection scrolls into view, and it is fast")
    func thousandWorkers() {
        let states: [WorkerState] = [.idle, .busy, .busy, .ready, .initing]
        let workers = (1...1000).map { Fixture.worker($0, states[$0 % states.count], client: $0 % 5 == 1 ? "c-\($0)" : nil) }
        var model = Fixture.model(snapshot: Fixture.snapshot(workers, max: 1000, warm: 0))
        model.resize(width: 80, height: 24)
        model.press(.character("G"))
        let screen = model.screen()
        let last = model.rows.last?.id ?? ""
        let row = screen.rows(containing: "  \(last) ").first ?? -1
        #expect(row > 4 && row < 23)
        #expect(screen[row, 2].style.reverse)
        #expect(screen.text.contains("actual 1000"))
        model.press(.pageUp)
        #expect(model.selectedIndex == 999 - (model.layout.listBodyHeight - 1))
        model.press(.character("g"))
        #expect(model.screen().text.contains("Initing (200)"))

        // Timing: a debug build is far slower than release (where a frame is well under
        // 2 ms); this only guards against rendering every row.
        let clock = ContinuousClock()
        let frames = 20
        let elapsed = clock.measure {
            for i in 0..<frames { _ = model.screen(now: Fixture.t0 + UInt64(i)) }
        }
        #expect(elapsed / frames < .milliseconds(50), "a frame took \(elapsed / frames)")
    }

    @Test("error-heavy: counters, red rows, a full log and the detail's last errors")
    func errorHeavy() {
        let workers = (1...8).map { Fixture.worker($0, $0 % 2 == 0 ? .busy : .idle, errors: $0, lastError: "ErrWork: job \($0) failed") }
        var events: [PoolEvent] = []
        for i in 0..<600 {
            let w = "w\(i % 8 + 1)"
            let time = Fixture.t0 - Fixture.seconds(Double(600 - i) * 0.2)
            events.append(Fixture.transition(nil, called: ["ErrWorker"], entered: ["ErrWorker", "Exception"],
                                             args: ["worker": .string(w)], at: time))
            events.append(Fixture.error(w, "ErrWorker: worker \(w) exited", at: time))
        }
        var model = Fixture.model(snapshot: Fixture.snapshot(workers, errPool: true, errors: 600), events: events)
        let screen = model.screen(now: Fixture.t0)
        // The last minute holds the newest 300 errors, 37 or 38 per worker.
        let w1Recent = events.filter { $0.isError && $0.worker == "w1" && $0.time >= Fixture.t0 - Fixture.seconds(60) }.count
        #expect(screen.text.contains("errors 600 total, 300 last min"))
        #expect(screen.text.contains("ErrPool"))
        #expect(screen.style(of: "ErrPool")?.foreground == .red)
        // Recent and total per worker: the supervisor counted 1 for w1, the log holds 75.
        let w1Seen = events.filter { $0.isError && $0.worker == "w1" }.count
        #expect(screen.text.contains("\(w1Recent)/\(w1Seen)"))
        #expect(screen.style(of: "w2 ")?.foreground == .red)
        #expect(screen.text.contains("! super add ErrWorker (worker=w"))
        model.press(.enter)
        let detail = model.screen(now: Fixture.t0)
        #expect(detail.text.contains("Detail: w1"))
        #expect(detail.text.contains("errors \(w1Seen) total, \(w1Recent) last min"))
        #expect(detail.text.contains("last error: ErrWork: job 1 failed"))
        let wide = model.screen(140, 60)
        #expect(wide.text.contains("Last errors"))
        #expect(wide.text.contains("ErrWorker: worker w1 exited"))
    }

    @Test("detail beside the list from 120 columns; below it (instead of the log) when narrower")
    func detailLayouts() {
        var model = Fixture.model(events: Self.events)
        let wide = model.screen(130, 30)
        #expect(wide.text.contains("Detail: w5"))
        #expect(wide.text.contains("─ Log"))
        let row = wide.rows(containing: "Detail: w5").first ?? -1
        #expect(wide.line(row).contains("IN STATE"))
        #expect(!model.screen().text.contains("Detail"))
        model.press(.character("G"), .enter)
        let narrow = model.screen()
        #expect(narrow.text.contains("Detail: w12"))
        #expect(narrow.text.contains("busy for"))
        #expect(!narrow.text.contains("─ Log"))
        #expect(model.screen(80, 40).text.contains("Last transitions"))
        #expect(model.screen(80, 40).text.contains("add Working  +Working -Idle"))
    }

    @Test("UTF-8 ids and clients line up by display width")
    func utf8() {
        let workers = [Fixture.worker(1, .busy, id: "工作者-1", client: "客户-α"), Fixture.worker(2, id: "wörker-2"),
                       Fixture.worker(3, id: "🚀-3")]
        var model = Fixture.model(snapshot: Fixture.snapshot(workers, clients: ["客户-α"]))
        let screen = model.screen()
        #expect(screen.text.contains("工作者-1"))
        #expect(screen.text.contains("客户-α"))
        #expect(screen.text.contains("wörker-2"))
        for row in 0..<24 { #expect(Screen.displayWidth(of: screen.line(row)) <= 80) }
        // The PID column starts at the same column on every worker row.
        let rows = ["工作者-1", "wörker-2", "🚀-3"].compactMap { id in screen.rows(containing: id).first }
        let pidColumns = rows.map { row in
            (0..<80).first { column in screen[row, column].character == "4" } ?? -1
        }
        #expect(Set(pidColumns).count == 1)
        model.press(.character("G"), .character("x"))
        #expect(model.screen().text.contains("Kill worker 工作者-1 (pid 4401, busy, client 客户-α)?"))
    }

    @Test("the help overlay lists every binding of the keymap table")
    func help() {
        var model = Fixture.model()
        model.press(.character("?"))
        let tall = model.screen(100, 80).text
        for binding in model.keymap.bindings {
            #expect(tall.contains(binding.keyLabel), "help lacks \(binding.keyLabel)")
            #expect(tall.contains(binding.description), "help lacks \(binding.description)")
        }
        for context in KeyContext.allCases { #expect(tall.contains(context.title)) }

        // At 80x24 it scrolls; paging through shows every binding too.
        var seen = ""
        for _ in 0..<6 {
            seen += model.screen().text
            model.press(.pageDown)
        }
        for binding in model.keymap.bindings { #expect(seen.contains(binding.description), "80x24 help lacks \(binding.description)") }
        model.press(.escape)
        #expect(model.overlay == nil)
    }

    @Test("the help says which contexts do not apply")
    func helpContexts() {
        var live = Fixture.model()
        live.press(.character("?"))
        #expect(live.screen(100, 80).text.contains("Replay (replay mode only)"))
        var replay = Fixture.model(.replay)
        replay.press(.character("?"))
        #expect(replay.screen(100, 80).text.contains("Live pool (not in replay)"))
        var readonly = Fixture.model(readonly: true)
        readonly.press(.character("?"))
        #expect(readonly.screen(100, 80).text.contains("Live pool (read-only: actions refused)"))
        readonly.press(.escape)
        #expect(readonly.screen().line(23).contains("read-only"))
    }

    @Test("heartbeat: overdue in yellow when later than the interval")
    func heartbeat() {
        let model = Fixture.model(snapshot: Fixture.snapshot(Fixture.smallPool.workers, heartbeatMs: 10_000),
                                  events: [Fixture.heartbeat(at: Fixture.t0)])
        #expect(model.screen(now: Fixture.t0 + Fixture.seconds(4)).text.contains("heartbeat 4s ago, next in 6s"))
        let late = model.screen(now: Fixture.t0 + Fixture.seconds(13))
        #expect(late.text.contains("heartbeat 13s ago, overdue 3s"))
        #expect(late.style(of: ", overdue")?.foreground == .yellow)
    }

    @Test("the log scrolls back and returns to its tail")
    func logScroll() {
        let events = (0..<40).map { Fixture.transition("w1", called: [StateName("S\($0)")], entered: [StateName("S\($0)")], at: Fixture.t0 + UInt64($0) * 1_000_000) }
        var model = Fixture.model(events: events)
        #expect(model.screen().text.contains("+S39"))
        model.press(.tab, .pageUp)
        let back = model.screen()
        #expect(!back.text.contains("+S39"))
        #expect(back.text.contains("newer below"))
        model.press(.character("G"))
        #expect(model.screen().text.contains("+S39"))
        model.press(.character("g"))
        #expect(model.screen().text.contains("+S0"))
    }
}
