import Foundation
import Testing

/// The ncurses backend in a real terminal: `pooltop --terminal-check` run in tmux.
@Suite("NcursesTerminal in tmux", .serialized, .enabled(if: TmuxHarness.canRunPooltop, "needs tmux and a built pooltop"),
       .timeLimit(.minutes(1)))
struct TerminalE2ETests {
    private func startCheck(width: Int = 100, height: Int = 30) async throws -> TmuxHarness {
        let tmux = TmuxHarness(width: width, height: height)
        try tmux.start(executable: try #require(TmuxHarness.pooltopBinary), arguments: ["--terminal-check"])
        try await waitForFrame(tmux, width: width, height: height)
        return tmux
    }

    /// Waits until the whole frame for `width`x`height` is on screen (a capture can catch
    /// a redraw half-way) and returns its lines.
    @discardableResult
    private func waitForFrame(_ tmux: TmuxHarness, width: Int, height: Int, containing text: String = "") async throws -> [String] {
        let screen = try await tmux.waitFor(description: "a complete \(width)x\(height) frame showing \"\(text)\"") { screen in
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.count >= height, screen.contains("size: \(width)x\(height)"), text.isEmpty || screen.contains(text) else { return false }
            let top = lines[0], bottom = lines[height - 1]
            return top.hasPrefix("┌") && top.hasSuffix("┐") && Self.columns(of: top) == width
                && bottom.hasPrefix("└") && bottom.hasSuffix("┘") && Self.columns(of: bottom) == width
        }
        return screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test("draws a box, wide text, colours and its size")
    func drawsTheFrame() async throws {
        let tmux = try await startCheck()
        defer { tmux.shutdown() }
        let lines = try await waitForFrame(tmux, width: 100, height: 30)
        #expect(lines[0].hasPrefix("┌─ pooltop terminal check ─"))
        #expect(lines[2].hasPrefix("│ size: 100x30 "))
        #expect(lines[3].hasPrefix("│ last key: none "))
        // Every row between the borders is exactly 100 columns wide.
        #expect(lines[1..<29].allSatisfy { $0.hasPrefix("│") && $0.hasSuffix("│") && Self.columns(of: $0) == 100 })
        // CJK is drawn with the wide API: each character takes two columns, so the right
        // border of that row stays at column 99 like every other row.
        let wideRow = try #require(lines.first { $0.contains("工作者") })
        #expect(wideRow.contains("工作者 ワーカー 队列"))
        #expect(Self.columns(of: String(wideRow)) == 100)
        #expect(wideRow.hasSuffix("│"))
        // Colours: blue background (SGR 44) on the title, gray as bright black (100).
        let coloured = try tmux.capture(escapes: true)
        #expect(coloured.contains("\u{1B}[44m"))
        #expect(coloured.contains("\u{1B}[100m"))
        #expect(coloured.contains("\u{1B}[7mreverse"))
    }

    @Test("reads keys: arrows, paging, function keys, Tab, Escape, text")
    func readsKeys() async throws {
        let tmux = try await startCheck()
        defer { tmux.shutdown() }
        let cases: [(send: () throws -> Void, name: String)] = [
            ({ try tmux.sendKeys("Down") }, "down"),
            ({ try tmux.sendKeys("Up") }, "up"),
            ({ try tmux.sendKeys("Left") }, "left"),
            ({ try tmux.sendKeys("Right") }, "right"),
            ({ try tmux.sendKeys("PageDown") }, "pageDown"),
            ({ try tmux.sendKeys("PageUp") }, "pageUp"),
            ({ try tmux.sendKeys("Home") }, "home"),
            ({ try tmux.sendKeys("End") }, "end"),
            ({ try tmux.sendKeys("F5") }, "F5"),
            ({ try tmux.sendKeys("BTab") }, "backTab"),
            ({ try tmux.sendKeys("Tab") }, "tab"),
            ({ try tmux.sendKeys("Enter") }, "enter"),
            ({ try tmux.sendKeys("Escape") }, "escape"),
            ({ try tmux.sendKeys("BSpace") }, "backspace"),
            ({ try tmux.sendKeys("DC") }, "delete"),
            ({ try tmux.sendKeys("C-a") }, "ctrl-A"),
            ({ try tmux.sendText("x") }, "x"),
            ({ try tmux.sendText("工") }, "工"),
        ]
        for (index, keyCase) in cases.enumerated() {
            try keyCase.send()
            let screen = try await tmux.waitFor(text: "keys read: \(index + 1)")
            #expect(screen.contains("last key: \(keyCase.name) "), "after sending \(keyCase.name)")
        }
    }

    @Test("redraws everything at the new size after a resize")
    func redrawsOnResize() async throws {
        let tmux = try await startCheck()
        defer { tmux.shutdown() }
        try tmux.sendKeys("Down")
        try await tmux.waitFor(text: "last key: down")
        try tmux.resize(width: 80, height: 24)
        let lines = try await waitForFrame(tmux, width: 80, height: 24, containing: "last key: resize")
        // Nothing of the 100-column frame is left past the new right border.
        #expect(lines.prefix(24).allSatisfy { Self.columns(of: $0) <= 80 })
        #expect(lines[1..<23].allSatisfy { $0.hasPrefix("│") && $0.hasSuffix("│") })
        #expect(lines[22].hasPrefix("│ press q to quit"))
        try tmux.resize(width: 120, height: 40)
        try await waitForFrame(tmux, width: 120, height: 40)
        // Smaller than the frame's content: clipped, still a box, no crash.
        try tmux.resize(width: 20, height: 6)
        let tiny = try await waitForFrame(tmux, width: 20, height: 6)
        #expect(tiny[4].hasPrefix("│ press q to quit"))
        try tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
    }

    @Test("q quits with status 0 and restores the terminal")
    func quitsCleanly() async throws {
        let tmux = try await startCheck()
        defer { tmux.shutdown() }
        try tmux.sendKeys("q")
        let status = try await tmux.waitForExit()
        #expect(status == 0)
        // Curses mode is over: the alternate screen is gone, the frame with it.
        #expect(!(try tmux.capture()).contains("pooltop terminal check"))
    }

    /// A parent can start it with SIGTERM blocked (Foundation.Process does, notes P11);
    /// `NcursesTerminal` unblocks signals, so `kill` still ends it, and ncurses' own
    /// SIGTERM handler restores the terminal on the way out (status 1).
    @Test("SIGTERM ends it even when started with signals blocked", .enabled(if: TmuxHarness.isExecutable("/usr/bin/python3")))
    func terminatesDespiteBlockedSignals() async throws {
        let tmux = TmuxHarness(width: 100, height: 30)
        defer { tmux.shutdown() }
        let binary = try #require(TmuxHarness.pooltopBinary)
        let pidFile = "/tmp/pooltop-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pid"
        defer { unlink(pidFile) }
        let blockAndExec = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}); os.execv(sys.argv[1], sys.argv[1:])"
        // In the background so the test can signal pooltop itself; a background job's stdin
        // is /dev/null unless redirected, hence </dev/tty.
        try tmux.start("/usr/bin/python3 -c \(TmuxHarness.shellQuote(blockAndExec)) \(TmuxHarness.shellQuote(binary)) --terminal-check </dev/tty & echo $! > \(pidFile); wait $!")
        try await waitForFrame(tmux, width: 100, height: 30)
        let pid = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }  // if SIGTERM did not work, do not leave it running
        #expect(kill(pid, SIGTERM) == 0)
        let status = try await tmux.waitForExit()
        #expect(status == 1 || status == 143)
        #expect(!(try tmux.capture()).contains("pooltop terminal check"))
    }

    /// Terminal columns of a captured line (CJK counts 2).
    static func columns(of line: String) -> Int {
        line.unicodeScalars.reduce(0) { total, scalar in
            let v = scalar.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xFF00...0xFF60).contains(v)
            return total + (wide ? 2 : 1)
        }
    }
}
