import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Logging
import Testing

/// The real `pooltop` binary in a real terminal (tmux): an embedded pool, an attached
/// `amnode supervisor`, and a replayed recording.
@Suite("pooltop end to end", .serialized, .enabled(if: TmuxHarness.canRunPooltop, "needs tmux and a built pooltop"),
       .timeLimit(.minutes(3)))
struct PoolTopE2ETests {
    /// Worker rows on screen: id, the state column, and the group it is listed under.
    struct Row: Equatable {
        var id: String
        var state: String
        var group: String
    }

    static func rows(_ screen: String) -> [Row] {
        var group = ""
        var rows: [Row] = []
        for line in screen.split(separator: "\n") {
            // The list is the left pane; the detail pane (when shown) is right of a │.
            let left = line.split(separator: "│", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let tokens = left.split(separator: " ").map(String.init)
            if let header = tokens.first, tokens.count >= 2, tokens[1].hasPrefix("("), left.contains("───") {
                group = header
                continue
            }
            guard let index = tokens.prefix(2).firstIndex(where: { $0.wholeMatch(of: /w\d+/) != nil }), tokens.count > index + 2 else { continue }
            rows.append(Row(id: tokens[index], state: tokens[index + 2], group: group))
        }
        return rows
    }

    /// Processes whose command line contains `marker` (left-over workers).
    static func processes(containing marker: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let command = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return command.contains(marker) ? pid : nil
        }
    }

    private static func waitForNoProcesses(_ marker: String, timeout: Duration = .seconds(10)) async -> [Int32] {
        let deadline = ContinuousClock.now + timeout
        var left = processes(containing: marker)
        while !left.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
            left = processes(containing: marker)
        }
        return left
    }

    @Test("embedded: PoolReady and the pool's workers; f forks; x kills and a replacement comes; ? help; / filter; q exits 0 leaving no worker")
    func embeddedPool() async throws {
        let pooltop = try #require(TmuxHarness.pooltopBinary)
        // A latency no other test uses marks this pool's workers on the process list.
        let latency = String(Int.random(in: 20_001...29_999))
        let tmux = TmuxHarness(width: 120, height: 36)
        defer { tmux.shutdown() }
        try tmux.start(executable: pooltop, arguments: ["--min", "3", "--warm", "0", "--max", "6", "--demo-clients", "0",
                                                       "--demo-latency", latency])
        var screen = try await tmux.waitFor(timeout: .seconds(20), description: "PoolReady with 3 idle workers") { s in
            s.contains("+PoolReady") && Self.rows(s).filter { $0.state == "idle" }.count == 3
        }
        #expect(screen.contains("LIVE"))
        #expect(Set(Self.rows(screen).map(\.id)) == ["w1", "w2", "w3"])

        // The selection starts on the first row; kill it, confirming (Cancel is focused first).
        let first = try #require(Self.rows(screen).first)
        try tmux.sendKeys("x")
        screen = try await tmux.waitFor(text: "Kill worker \(first.id) (pid")
        #expect(screen.contains("> Cancel <"))
        try tmux.sendKeys("Right", "Enter")
        screen = try await tmux.waitFor(timeout: .seconds(10), description: "\(first.id) gone and a replacement w4 idle") { s in
            let rows = Self.rows(s)
            return rows.contains { $0.id == first.id && ["Killing", "Gone"].contains($0.group) }
                && rows.contains { $0.id == "w4" && $0.state == "idle" }
        }

        try tmux.sendKeys("f")
        screen = try await tmux.waitFor(timeout: .seconds(10), description: "a forked w5, idle") { s in
            Self.rows(s).contains { $0.id == "w5" && $0.state == "idle" }
        }

        try tmux.sendKeys("?")
        screen = try await tmux.waitFor(text: "Help: keys")
        #expect(screen.contains("fork"))
        try tmux.sendKeys("Escape")
        _ = try await tmux.waitFor(description: "help closed") { !$0.contains("Help: keys") }

        try tmux.sendKeys("/")
        try tmux.sendText("w2")
        try tmux.sendKeys("Enter")
        screen = try await tmux.waitFor(description: "only w2 listed") { s in
            let ids = Self.rows(s).map(\.id)
            return ids == ["w2"]
        }
        try tmux.sendKeys("Escape")

        try tmux.sendKeys("q")
        screen = try await tmux.waitFor(text: "Quit pooltop?")
        try tmux.sendKeys("Right", "Enter")
        #expect(try await tmux.waitForExit(timeout: .seconds(20)) == 0)
        #expect(await Self.waitForNoProcesses("--latency \(latency)") == [])
    }

    @Test("attached: an amnode supervisor's workers, and a kill from the dashboard replaces one")
    func attachedKill() async throws {
        let pooltop = try #require(TmuxHarness.pooltopBinary)
        let amnode = URL(fileURLWithPath: pooltop).deletingLastPathComponent().appendingPathComponent("amnode").path
        try #require(FileManager.default.isExecutableFile(atPath: amnode), "amnode is built beside pooltop")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pooltop-e2e-\(getpid())-\(Int.random(in: 0...999_999))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = Int.random(in: 20_000...30_000)
        let kind = "e2e\(port)"
        let tokenFile = directory.appendingPathComponent("token").path
        let supervisor = try ProcessLauncher.shared.launch([
            amnode, "supervisor", "--listen", "127.0.0.1:\(port)", "--operator", "127.0.0.1:\(port + 1)",
            "--token-file", tokenFile, "--kind", kind, "--min", "2", "--warm", "0", "--max", "4",
        ])
        defer { supervisor.terminate() }
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: tokenFile) || Self.processes(containing: "worker --kind \(kind)").count < 2 {
            try #require(ContinuousClock.now < deadline, "the supervisor started its workers")
            try await Task.sleep(for: .milliseconds(100))
        }
        let tmux = TmuxHarness(width: 110, height: 32)
        defer { tmux.shutdown() }
        try tmux.start(executable: pooltop, arguments: ["--attach", "127.0.0.1:\(port + 1)", "--token-file", tokenFile])
        var screen = try await tmux.waitFor(timeout: .seconds(20), description: "two idle workers, attached") { s in
            s.contains("ATTACHED 127.0.0.1:\(port + 1)") && Self.rows(s).filter { $0.state == "idle" }.count == 2
        }
        let first = try #require(Self.rows(screen).first)
        try tmux.sendKeys("x")
        _ = try await tmux.waitFor(text: "Kill worker \(first.id)")
        try tmux.sendKeys("Right", "Enter")
        screen = try await tmux.waitFor(timeout: .seconds(15), description: "\(first.id) gone and w3 idle") { s in
            let rows = Self.rows(s)
            return rows.contains { $0.id == first.id && ["Killing", "Gone"].contains($0.group) }
                && rows.contains { $0.id == "w3" && $0.state == "idle" }
        }
        // The supervisor goes away: the dashboard says STALE, and when a supervisor is back
        // on the same address it reconnects by itself.
        #expect(await supervisor.stop(grace: .seconds(5)).isSuccess)
        #expect(await Self.waitForNoProcesses("worker --kind \(kind)") == [])
        _ = try await tmux.waitFor(text: "STALE", timeout: .seconds(10))
        let second = try ProcessLauncher.shared.launch([
            amnode, "supervisor", "--listen", "127.0.0.1:\(port)", "--operator", "127.0.0.1:\(port + 1)",
            "--token-file", tokenFile, "--kind", kind, "--min", "1", "--warm", "0", "--max", "2",
        ])
        defer { second.terminate() }
        _ = try await tmux.waitFor(timeout: .seconds(20), description: "attached again, with the new pool's worker") { s in
            s.contains("ATTACHED 127.0.0.1:\(port + 1)") && !s.contains("STALE") && s.contains("min 1 max 2")
        }
        try tmux.sendKeys("q")
        #expect(try await tmux.waitForExit(timeout: .seconds(10)) == 0)
        #expect(await second.stop(grace: .seconds(5)).isSuccess)
        #expect(await Self.waitForNoProcesses("worker --kind \(kind)") == [])
    }

    @Test("replay: stepping and jumping show the worker states recorded at that transition")
    func replayRecording() async throws {
        let pooltop = try #require(TmuxHarness.pooltopBinary)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pooltop-e2e-\(getpid())-\(Int.random(in: 0...999_999)).amrec").path
        defer { unlink(file) }
        // Record a pool of three real workers in which w1 is killed and replaced.
        var logger = Logger(label: "e2e")
        logger.logLevel = .critical
        let supervisor = Supervisor(configuration: .init(kind: "e2erec", workerCommand: [pooltop, "worker", "--latency", "50"],
                                                         max: 4, min: 3, warm: 0, logger: logger))
        let recorder = try Recorder(path: file, header: .pool(supervisor, tool: "test", toolVersion: "0"))
        let recording = PoolRecording(supervisor: supervisor, recorder: recorder)
        try await supervisor.start()
        try await Self.until { supervisor.workers(.idle).count == 3 }
        #expect(supervisor.perform(.kill(worker: "w1", force: false), origin: "test").ok)
        try await Self.until { supervisor.workers(.idle).count == 3 && supervisor.workers().allSatisfy { $0.id != "w1" } }
        await supervisor.stop()
        recording.stop()

        // Where w1 was being killed, per the recording itself.
        let cursor = try ReplayCursor(path: file)
        #expect(try cursor.next { entry, _ in
            if case .transition(let t, _) = entry.body { t.entered.contains(.killingWorker) } else { false }
        })
        let killing = cursor.position
        #expect(cursor.snapshot?.workers.first { $0.id == "w1" }?.state == .killing)

        let tmux = TmuxHarness(width: 110, height: 32)
        defer { tmux.shutdown() }
        try tmux.start(executable: pooltop, arguments: ["--replay", file])
        _ = try await tmux.waitFor(text: "REPLAY tx 0/")
        try tmux.sendKeys(":")
        try tmux.sendText("goto tx\(killing)")
        try tmux.sendKeys("Enter")
        var screen = try await tmux.waitFor(description: "tx \(killing) with w1 killing") { s in
            s.contains("tx \(killing)/") && Self.rows(s).contains { $0.id == "w1" && $0.group == "Killing" }
        }
        #expect(Self.rows(screen).contains { $0.id == "w2" && $0.state == "idle" }, "\(screen)")
        try tmux.sendKeys("Right")
        _ = try await tmux.waitFor(text: "tx \(killing + 1)/")
        try tmux.sendKeys("Left", "Left")
        _ = try await tmux.waitFor(text: "tx \(killing - 1)/")
        try tmux.sendKeys("End")
        screen = try await tmux.waitFor(text: "tx \(cursor.transitionCount)/\(cursor.transitionCount)")
        try tmux.sendKeys("Home")
        _ = try await tmux.waitFor(text: "tx 0/")
        try tmux.sendKeys("}")
        _ = try await tmux.waitFor(text: "tx \(min(50, cursor.transitionCount))/")
        // Actions are refused in replay, visibly.
        try tmux.sendKeys("f")
        _ = try await tmux.waitFor(description: "a refusal") { $0.lowercased().contains("replay") && $0.lowercased().contains("disabled") }
        try tmux.sendKeys("q")
        #expect(try await tmux.waitForExit(timeout: .seconds(10)) == 0)
    }

    private static func until(_ timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            try #require(ContinuousClock.now < deadline, "condition within \(timeout)")
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
