import Testing
@testable import PoolTop

@Suite(":command parsing")
struct ColonCommandTests {
    @Test("good commands", arguments: [
        (":fork 3", ColonCommand.fork(count: 3)),
        ("fork", .fork(count: 1)),
        ("  :fork   2  ", .fork(count: 2)),
        (":kill w3", .kill(ids: ["w3"], force: false)),
        (":kill w3 w4 w3", .kill(ids: ["w3", "w4"], force: false)),
        (":kill! w3", .kill(ids: ["w3"], force: true)),
        (":provide c-3", .provide(client: "c-3")),
        (":set min 3", .setPool(min: 3, max: nil, warm: nil)),
        (":set max 10 warm 2", .setPool(min: nil, max: 10, warm: 2)),
        (":set min=1 max=4", .setPool(min: 1, max: 4, warm: nil)),
        (":drain w7", .drain(id: "w7")),
        (":heartbeat", .heartbeat),
        (":goto tx120", .goto("tx120")),
        (":goto 120", .goto("120")),
        (":goto 12:00:05", .goto("12:00:05")),
        (":goto 12:00:05.250", .goto("12:00:05.250")),
        (":goto 23:59", .goto("23:59")),
        (":goto +90s", .goto("+90s")),
        (":goto -500ms", .goto("-500ms")),
        (":goto 2026-11-29T03:12:07Z", .goto("2026-11-29T03:12:07Z")),
        (":record /tmp/my pool.amrec", .record(path: "/tmp/my pool.amrec")),
        (":filter state=busy err>0", .filter("state=busy err>0")),
        (":filter", .filter("")),
        (":help", .help),
        (":q", .quit),
    ])
    func parses(line: String, expected: ColonCommand) throws {
        #expect(try ColonCommand.parse(line) == expected)
    }

    @Test("bad input gets a clear error", arguments: [
        ("", "type a command"),
        (":", "type a command"),
        (":frok 3", "unknown command :frok"),
        (":fork three", "fork: 'three' is not a number"),
        (":fork 0", "fork: the count must be 1 to 1000"),
        (":fork 5000", "fork: the count must be 1 to 1000"),
        (":fork 1 2", "fork takes one count"),
        (":kill", "kill: name at least one worker id"),
        (":kill!", "kill!: name at least one worker id"),
        (":provide", "provide: name one client id"),
        (":provide a b", "provide: name one client id"),
        (":set", "set: name a size and a value"),
        (":set size 3", "set: unknown size 'size' (min, max, warm)"),
        (":set min", "set min: give a value"),
        (":set min -1", "set min: '-1' is not a count"),
        (":set min x", "set min: 'x' is not a count"),
        (":set min 5 max 3", "set: min 5 is above max 3"),
        (":drain", "drain: name one worker id"),
        (":heartbeat now", "heartbeat takes no arguments"),
        (":goto", "goto: give one place"),
        (":goto yesterday", "goto: 'yesterday' is not a place in the recording"),
        (":goto 25:00:00", "is not a place in the recording"),
        (":goto 12:61", "is not a place in the recording"),
        (":goto 12:00:00.", "is not a place in the recording"),
        (":record", "record: name a file"),
        (":help me", "help takes no arguments"),
    ])
    func rejects(line: String, message: String) {
        do {
            let command = try ColonCommand.parse(line)
            Issue.record("\(line) parsed as \(command)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("the model shows a bad command's error and keeps the text for fixing")
    func errorKeepsPrompt() {
        var model = Fixture.model()
        model.press(.character(":"))
        model.type("fork x")
        let effects = model.press(.enter)
        #expect(effects.isEmpty)
        guard case .prompt(let prompt)? = model.overlay else {
            Issue.record("the prompt closed")
            return
        }
        #expect(prompt.text == "fork x")
        let screen = model.screen()
        #expect(screen.text.contains("fork: 'x' is not a number"))
        #expect(screen.line(22) == ":fork x")
        model.press(.backspace)
        model.type("2")
        #expect(model.press(.enter) == [.control(.fork(count: 2))])
        #expect(model.overlay == nil)
    }

    @Test("commands run through the model", arguments: [
        ("fork 3", [Effect.control(.fork(count: 3))]),
        ("kill w1 w2", [.control(.kill(ids: ["w1", "w2"], force: false))]),
        ("kill! w12", [.control(.kill(ids: ["w12"], force: true))]),
        ("provide c-9", [.control(.provide(client: "c-9"))]),
        ("set warm 1", [.control(.setPool(min: nil, max: nil, warm: 1))]),
        ("drain w3", [.control(.drain(id: "w3"))]),
        ("heartbeat", [.control(.heartbeat)]),
        ("record pool.amrec", [.record(path: "pool.amrec")]),
    ])
    func runs(line: String, effects: [Effect]) {
        var model = Fixture.model(.attached(address: "127.0.0.1:7000"))
        model.press(.character(":"))
        model.type(line)
        #expect(model.press(.enter) == effects)
    }

    @Test("a kill of an unknown worker is an error, not a silent no-op")
    func unknownWorker() {
        var model = Fixture.model()
        model.press(.character(":"))
        model.type("kill w99")
        #expect(model.press(.enter).isEmpty)
        #expect(model.status == StatusMessage("kill: no worker w99 in the pool", isError: true))
    }

    @Test(":goto is for replays, :record for live pools")
    func modeSpecific() {
        var live = Fixture.model()
        live.press(.character(":"))
        live.type("goto tx5")
        #expect(live.press(.enter).isEmpty)
        #expect(live.status?.text == "goto works in replay mode only")

        var replay = Fixture.model(.replay)
        replay.press(.character(":"))
        replay.type("goto tx5")
        #expect(replay.press(.enter) == [.replay(.goto("tx5"))])
        replay.press(.character(":"))
        replay.type("record x.amrec")
        #expect(replay.press(.enter).isEmpty)
        #expect(replay.status?.isError == true)
    }

    @Test("Tab completes command names and worker ids")
    func completion() {
        var model = Fixture.model()
        model.press(.character(":"))
        model.type("hea")
        model.press(.tab)
        #expect(model.overlay == .prompt(TextPrompt(.command, text: "heartbeat ")))
        // Two matches: completes what they share.
        model.press(.escape, .character(":"))
        model.type("d")
        model.press(.tab)
        #expect(model.overlay == .prompt(TextPrompt(.command, text: "drain ")))
        model.press(.escape, .character(":"))
        model.type("k")
        model.press(.tab)
        #expect(model.overlay == .prompt(TextPrompt(.command, text: "kill")))
        model.press(.escape, .character(":"))
        model.type("kill w1")
        model.press(.tab)
        // w1 and w12 both start with "w1": nothing more to complete.
        #expect(model.overlay == .prompt(TextPrompt(.command, text: "kill w1")))
        model.type("2")
        model.press(.tab)
        #expect(model.overlay == .prompt(TextPrompt(.command, text: "kill w12 ")))
    }
}
