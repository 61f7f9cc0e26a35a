import AsyncMachineNode
import Testing
@testable import PoolTop

@Suite("DashboardModel")
struct DashboardModelTests {
    @Test("the selection stays on its worker while rows move between groups")
    func selectionFollowsWorker() {
        var model = Fixture.model()
        // Rows: w5 (initing), w1 w2 w3 (idle), w12 (busy). Select w2.
        model.press(.down, .down)
        #expect(model.selectedWorker == "w2")
        // w2 becomes busy and w7 appears above it: w2 moves two groups down.
        let next = Fixture.snapshot([Fixture.worker(1), Fixture.worker(2, .busy, client: "c-1"), Fixture.worker(3),
                                     Fixture.worker(12, .busy, client: "c-3"), Fixture.worker(5, .idle), Fixture.worker(7, .initing)],
                                    at: Fixture.t0 + Fixture.seconds(1), seq: 2)
        model.apply(.snapshot(next))
        #expect(model.selectedWorker == "w2")
        #expect(model.rows.map(\.id) == ["w7", "w1", "w3", "w5", "w2", "w12"])
        // On screen, the highlighted row is w2's.
        let screen = model.screen()
        let row = screen.rows(containing: "  w2 ").first ?? -1
        #expect(row > 0)
        #expect(screen[row, 2].style.reverse)
        #expect(screen.rows(containing: "w1 ").allSatisfy { !screen[$0, 2].style.reverse })
    }

    @Test("a gone worker stays listed in Gone for 30 s, greyed, then leaves; the selection moves to a neighbour")
    func goneWorkers() {
        var model = Fixture.model()
        model.press(.down, .down) // w2
        var workers = Fixture.smallPool.workers.filter { $0.id != "w2" }
        model.apply(.snapshot(Fixture.snapshot(workers, at: Fixture.t0 + Fixture.seconds(2), seq: 2)))
        #expect(model.rows.last?.id == "w2")
        #expect(model.rows.last?.group == .gone)
        #expect(model.selectedWorker == "w2")
        let screen = model.screen(now: Fixture.t0 + Fixture.seconds(7))
        #expect(screen.text.contains("Gone (1)"))
        let goneRow = screen.rows(containing: "  w2 ").first ?? -1
        #expect(screen.line(goneRow).contains("idle    5s"))
        model.press(.up)
        let dimmed = model.screen(now: Fixture.t0 + Fixture.seconds(7))
        #expect(dimmed[goneRow, 2].style.dim)

        // 31 s later the gone worker is forgotten and the selection is on the row now there.
        model.press(.down)
        workers.append(Fixture.worker(9, .busy))
        model.apply(.snapshot(Fixture.snapshot(workers, at: Fixture.t0 + Fixture.seconds(33), seq: 3)))
        #expect(model.row("w2") == nil)
        #expect(!model.screen().text.contains("Gone"))
        #expect(model.selectedWorker == model.rows.last?.id)
    }

    @Test("filtering out the selected worker selects the nearest row")
    func nearestRow() {
        var model = Fixture.model()
        model.press(.down, .down, .down) // w3, row 3
        model.press(.character("/"))
        model.type("!w3")
        #expect(model.selectedWorker == "w12")
        model.press(.escape)
        #expect(model.filter.isEmpty)
        #expect(model.rows.count == 5)
    }

    @Test("x asks first, naming the worker, with Cancel focused; Enter right away does nothing")
    func killConfirmation() {
        var model = Fixture.model()
        model.press(.character("G")) // w12, busy, client c-3, pid 4411
        #expect(model.press(.character("x")).isEmpty)
        let screen = model.screen()
        #expect(screen.text.contains("Kill worker w12 (pid 4411, busy, client c-3)?"))
        #expect(screen.text.contains("> Cancel <"))
        #expect(screen.style(of: "> Cancel <")?.reverse == true)
        guard case .confirm(let dialog)? = model.overlay else {
            Issue.record("no dialog")
            return
        }
        #expect(dialog.focus == .cancel)
        #expect(model.press(.enter).isEmpty)
        #expect(model.overlay == nil)
        #expect(model.status?.text == "canceled")

        // Right moves to Kill; Enter kills, and the worker shows as Killing.
        model.press(.character("x"), .right)
        #expect(model.screen().text.contains("> Kill <"))
        #expect(model.press(.enter) == [.control(.kill(ids: ["w12"], force: false))])
        #expect(model.row("w12")?.group == .killing)
        #expect(model.screen().text.contains("Killing (1)"))

        // Esc and Tab: Tab moves, Esc cancels wherever the focus is.
        model.press(.character("k"), .character("X"), .tab)
        #expect(model.screen().text.contains("Force kill worker w3"))
        #expect(model.press(.escape).isEmpty)
        #expect(model.overlay == nil)
    }

    @Test("a bulk kill of tagged workers needs the count typed")
    func bulkKill() {
        var model = Fixture.model()
        model.press(.down, .character("t"), .character("t"), .character("t")) // w1 w2 w3
        #expect(model.tagged == ["w1", "w2", "w3"])
        model.press(.character("x"))
        #expect(model.screen().text.contains("Kill 3 tagged workers (w1 w2 w3)?"))
        #expect(model.screen().text.contains("Type 3 to confirm"))
        // Without the count, Kill does nothing.
        #expect(model.press(.right, .enter).isEmpty)
        #expect(model.status?.text == "type 3 to confirm")
        model.type("3")
        #expect(model.press(.enter) == [.control(.kill(ids: ["w1", "w2", "w3"], force: false))])
        #expect(model.tagged.isEmpty)
    }

    @Test("T tags a group, u untags all")
    func tagging() {
        var model = Fixture.model()
        model.press(.down, .character("T"))
        #expect(model.tagged == ["w1", "w2", "w3"])
        #expect(model.screen().text.contains("3 tagged"))
        model.press(.character("T"))
        #expect(model.tagged.isEmpty)
        model.press(.character("T"), .character("u"))
        #expect(model.tagged.isEmpty)
    }

    @Test("a count prefix forks several: 3f")
    func countPrefix() {
        var model = Fixture.model()
        #expect(model.press(.character("f")) == [.control(.fork(count: 1))])
        model.press(.character("1"), .character("2"))
        #expect(model.screen().text.contains("count 12"))
        #expect(model.press(.character("f")) == [.control(.fork(count: 12))])
        #expect(model.type("3f") == [.control(.fork(count: 3))])
        // Esc forgets a count.
        model.press(.character("4"), .escape)
        #expect(model.countPrefix == nil)
    }

    @Test("p asks for the client id, then provides")
    func provide() {
        var model = Fixture.model()
        model.press(.character("p"))
        #expect(model.screen().text.contains("Provide a worker to client:"))
        #expect(model.press(.enter).isEmpty)
        #expect(model.screen().text.contains("type one client id"))
        model.type("c-9")
        #expect(model.press(.enter) == [.control(.provide(client: "c-9"))])
    }

    @Test("read-only refuses every action with a message")
    func readonly() {
        var model = Fixture.model(readonly: true)
        for key in ["f", "x", "X", "p"] {
            #expect(model.press(.character(Character(key))).isEmpty)
            #expect(model.overlay == nil)
            #expect(model.status?.isError == true)
            #expect(model.status?.text.hasPrefix("read-only:") == true)
        }
        model.press(.character(":"))
        model.type("fork 2")
        #expect(model.press(.enter).isEmpty)
        #expect(model.screen().text.contains("read-only: fork is disabled"))
        // Watching still works.
        model.press(.down, .character("/"))
        #expect(model.overlay == .prompt(TextPrompt(.filter)))
    }

    @Test("replay: actions refused with a visible message, replay keys become requests")
    func replay() {
        var model = Fixture.model(.replay)
        #expect(model.press(.character("f")).isEmpty)
        #expect(model.status?.text.hasPrefix("REPLAY: actions are disabled") == true)
        #expect(model.screen().text.contains("REPLAY: actions are disabled"))
        #expect(model.press(.character(" ")) == [.replay(.playPause)])
        #expect(model.press(.right) == [.replay(.step(1))])
        #expect(model.type("5") + model.press(.left) == [.replay(.step(-5))])
        #expect(model.press(.character("}")) == [.replay(.jump(50))])
        #expect(model.press(.character("{")) == [.replay(.jump(-50))])
        #expect(model.press(.character("+"), .character("-")) == [.replay(.speedUp), .replay(.slowDown)])
        #expect(model.press(.character("e"), .character("E")) == [.replay(.nextError), .replay(.previousError)])
        #expect(model.press(.home, .end) == [.replay(.first), .replay(.last)])
        let selected = model.selectedWorker ?? ""
        #expect(model.press(.character("n")) == [.replay(.nextChange(worker: selected))])
        #expect(model.press(.character("N")) == [.replay(.previousChange(worker: selected))])
        #expect(model.press(.character("Z")).isEmpty)
        #expect(model.status?.text == "Z (pause or resume live updates) works in live mode only")
        #expect(model.press(.character("q")) == [.quit])
    }

    @Test("quitting an embedded pool asks first; an attached one quits at once")
    func quit() {
        var embedded = Fixture.model()
        #expect(embedded.press(.character("q")).isEmpty)
        #expect(embedded.screen().text.contains("Quit pooltop? The embedded supervisor and all its workers stop."))
        #expect(embedded.press(.enter).isEmpty)
        #expect(embedded.press(.character("q"), .left, .enter) == [.quit])

        var attached = Fixture.model(.attached(address: "10.0.0.5:7000"))
        #expect(attached.press(.character("q")) == [.quit])
    }

    @Test("pause freezes the screen while data keeps arriving; resume shows the newest")
    func pause() {
        var model = Fixture.model()
        model.press(.character("Z"))
        #expect(model.paused)
        let newer = Fixture.snapshot([Fixture.worker(1, .busy, client: "c-7")], at: Fixture.t0 + Fixture.seconds(5), seq: 9)
        model.apply(.snapshot(newer))
        model.apply(.events([Fixture.transition("w1", called: ["Working"], entered: ["Working"], at: Fixture.t0 + Fixture.seconds(5))]))
        #expect(model.latestSnapshot == newer)
        #expect(model.snapshot == Fixture.smallPool)
        var screen = model.screen(now: Fixture.t0 + Fixture.seconds(6))
        #expect(screen.line(0).contains("PAUSED"))
        #expect(screen.line(23).hasPrefix(" PAUSED "))
        #expect(screen.text.contains("w12"))
        #expect(!screen.text.contains("c-7"))
        #expect(!screen.text.contains("+Working"))

        model.press(.character("Z"))
        screen = model.screen(now: Fixture.t0 + Fixture.seconds(6))
        #expect(!screen.text.contains("PAUSED"))
        #expect(screen.text.contains("c-7"))
        #expect(screen.text.contains("+Working"))
        #expect(screen.text.contains("Gone (4)"))
    }

    @Test("action results go to the log and the status line; a refused kill leaves Killing")
    func results() {
        var model = Fixture.model()
        model.press(.character("G"), .character("x"), .right, .enter)
        #expect(model.row("w12")?.group == .killing)
        model.noteResult(Fixture.action(.kill, target: "w12", ok: false, result: "no worker w12"))
        #expect(model.status == StatusMessage("kill w12 refused: no worker w12 (1.2ms)", isError: true))
        #expect(model.row("w12")?.group == .busy)
        model.noteResult(Fixture.action(.fork, ok: true, count: 2), at: Fixture.t0 + Fixture.seconds(0.5))
        let screen = model.screen()
        #expect(screen.text.contains("12:00:00.500 » op    fork 2: ok (1.2ms)  by dashboard"))
        #expect(screen.text.contains("! op    kill w12 refused: no worker w12"))
        #expect(screen.line(23).contains("fork 2: ok (1.2ms)"))

        // A result the feed also logs: the status line only.
        let before = model.log.count
        model.noteResult(Fixture.action(.heartbeat), appendToLog: false)
        #expect(model.log.count == before)
        #expect(model.status?.text == "heartbeat: ok (1.2ms)")
    }

    @Test("Tab cycles the panes on screen; j/k act on the focused one")
    func panes() {
        var model = Fixture.model()
        #expect(model.focus == .workers)
        model.press(.tab)
        #expect(model.focus == .log)
        model.press(.tab)
        #expect(model.focus == .workers)
        model.press(.backTab)
        #expect(model.focus == .log)
        model.press(.escape)
        #expect(model.focus == .workers)
        // Enter opens the detail (which takes the log's place below 120 columns).
        model.press(.enter)
        #expect(model.showDetail)
        #expect(model.layout.panes == [.workers, .detail])
        model.press(.escape)
        #expect(!model.showDetail)
        // Focus on the log, then Enter: the detail takes the log's place, so the focus
        // goes back to the list instead of staying on a pane that is not on screen.
        model.press(.tab, .enter)
        #expect(model.focus == .workers)
        // From 120 columns the detail is beside the list; Enter goes into it.
        model.press(.escape)
        model.resize(width: 140, height: 40)
        model.press(.enter)
        #expect(model.focus == .detail)
        model.resize(width: 80, height: 24)
        #expect(model.layout.panes.contains(model.focus))
    }

    @Test("F makes the log follow the selected worker")
    func follow() {
        let events = [Fixture.transition("w1", called: ["Working"], entered: ["Working"], at: Fixture.t0),
                      Fixture.transition("w12", called: ["WorkReady"], entered: ["WorkReady"], at: Fixture.t0)]
        var model = Fixture.model(events: events)
        #expect(model.screen().text.contains("+Working"))
        model.press(.character("G"), .character("F"))
        let screen = model.screen()
        #expect(screen.text.contains("Log: w12 (follow)"))
        #expect(screen.text.contains("+WorkReady"))
        #expect(!screen.text.contains("+Working"))
        #expect(screen.line(23).contains("FOLLOW w12"))
    }

    @Test("the log is a bounded ring")
    func ring() {
        var model = DashboardModel(mode: .embedded, eventCapacity: 100)
        model.apply(.events((0..<250).map { Fixture.error("w1", "e\($0)", at: Fixture.t0 + UInt64($0)) }))
        #expect(model.log.count == 100)
        #expect(model.log.events.first?.error == "e150")
        #expect(model.log.firstSequence == 150)
        #expect(model.log.events(for: "w1").count == 100)
        #expect(model.log.events(for: "w2").isEmpty)
    }

    @Test("time in state counts from when the model first saw the state")
    func timeInState() {
        var model = Fixture.model()
        let busy = Fixture.snapshot([Fixture.worker(1, .busy, client: "c-1")], at: Fixture.t0 + Fixture.seconds(10), seq: 2)
        model.apply(.snapshot(busy))
        model.apply(.snapshot(Fixture.snapshot(busy.workers, at: Fixture.t0 + Fixture.seconds(20), seq: 3)))
        #expect(model.row("w1")?.stateSince == Fixture.t0 + Fixture.seconds(10))
        #expect(model.screen(now: Fixture.t0 + Fixture.seconds(95)).text.contains("busy    1m25s"))
    }
}
