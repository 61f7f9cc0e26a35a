import AsyncMachine
import AsyncMachineNode
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The supervisor with real worker processes (the built `amnode worker`).
@Suite(.serialized) struct SupervisorTests {
    static let amnode: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/debug/amnode").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    private func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // A zombie (Z) is dead but not reaped: that counts as a leftover, so as alive.
        return !stat.isEmpty
    }

    private func readyCount(_ supervisor: Supervisor) -> Int {
        supervisor.workers().filter { [.ready, .idle, .busy].contains($0.state) }.count
    }

    @Test(.enabled(if: amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(2)))
    func poolComesUpHealsAfterKillNineAndStopsClean() async throws {
        let supervisor = Supervisor(configuration: .init(kind: "demo", workerCommand: [try #require(Self.amnode), "worker"], max: 5, min: 2, warm: 1))
        try await supervisor.start()
        try await supervisor.machine.when1(.poolReady, timeout: .seconds(20))
        try await eventually("3 ready workers") { readyCount(supervisor) == 3 }
        let first = supervisor.workers()
        #expect(supervisor.machine.is([.workersAvailable, .ready]))
        var seenPids = Set(first.compactMap(\.pid))
        #expect(seenPids.count == 3 && seenPids.allSatisfy(alive))

        let victim = try #require(first.first?.pid)
        kill(victim, SIGKILL)
        try await supervisor.machine.when1(.workerGone, timeout: .seconds(5))
        #expect(supervisor.machine.tick(.errWorker) >= 1, "an unrequested exit is an ErrWorker")
        try await eventually("a replacement") {
            let pids = Set(supervisor.workers().compactMap(\.pid))
            return readyCount(supervisor) == 3 && !pids.contains(victim)
        }
        seenPids.formUnion(supervisor.workers().compactMap(\.pid))

        await supervisor.stop()
        #expect(supervisor.workers().isEmpty)
        for pid in seenPids { #expect(!alive(pid), "worker \(pid) outlived its supervisor") }
    }

    @Test(.enabled(if: amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func operatorKillReplacesTheWorker() async throws {
        let supervisor = Supervisor(configuration: .init(kind: "demo", workerCommand: [try #require(Self.amnode), "worker"], max: 2, min: 2, warm: 0))
        try await supervisor.start()
        try await eventually("2 ready workers") { readyCount(supervisor) == 2 }
        let victim = try #require(supervisor.workers().first)
        #expect(supervisor.kill(victim.id))
        try await supervisor.machine.when1(.workerKilled, timeout: .seconds(10))
        #expect(supervisor.machine.tick(.errWorker) == 0, "a requested kill is not an error: \(String(describing: supervisor.machine.lastError))")
        try await eventually("a replacement") { readyCount(supervisor) == 2 && !supervisor.workers().contains { $0.id == victim.id } }
        await supervisor.stop()
        #expect(!alive(try #require(victim.pid)))
    }

    @Test(.enabled(if: amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func stoppedWorkerFailsItsHealthchecksAndIsKilledAndReplaced() async throws {
        let supervisor = Supervisor(configuration: .init(
            kind: "demo", workerCommand: [try #require(Self.amnode), "worker"], max: 2, min: 2, warm: 0,
            heartbeat: .milliseconds(300), healthcheckPause: .milliseconds(20), opTimeout: .milliseconds(400), workerErrKill: 3))
        try await supervisor.start()
        try await eventually("2 ready workers") { readyCount(supervisor) == 2 }
        try await eventually("healthchecks") { supervisor.workers().allSatisfy { $0.lastHealthcheckAge != nil } }
        let frozen = try #require(supervisor.workers().first)
        let pid = try #require(frozen.pid)
        kill(pid, SIGSTOP)
        try await eventually("errors counted against the frozen worker") {
            supervisor.workers().first { $0.id == frozen.id }.map { $0.errors >= 1 } ?? true
        }
        try await eventually("the frozen worker replaced", timeout: .seconds(20)) {
            !supervisor.workers().contains { $0.id == frozen.id } && readyCount(supervisor) == 2
        }
        #expect(supervisor.machine.tick(.errWorker) >= 3, "three failed healthchecks before the kill")
        #expect(!alive(pid), "the frozen worker was killed and reaped")
        let healthy = supervisor.workers().filter { $0.id != frozen.id }
        #expect(healthy.allSatisfy { $0.errors == 0 }, "only the frozen worker got errors")
        await supervisor.stop()
    }

    @Test(.enabled(if: amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func workerWithARecentErrorIsNotOfferedUntilTheWindowEnds() async throws {
        let supervisor = Supervisor(configuration: .init(
            kind: "demo", workerCommand: [try #require(Self.amnode), "worker"], max: 1, min: 1, warm: 0,
            heartbeat: .seconds(3600), healthcheckPause: .milliseconds(10), opTimeout: .milliseconds(300),
            workerErrRecent: .seconds(1), workerErrKill: 5))
        try await supervisor.start()
        try await eventually("an idle worker") { supervisor.workers(.idle).count == 1 }
        let pid = try #require(supervisor.workers().first?.pid)
        kill(pid, SIGSTOP)
        await supervisor.heartbeatNow()  // one failed healthcheck: one error
        kill(pid, SIGCONT)
        #expect(supervisor.workers().first?.errors == 1)
        #expect(supervisor.workers(.idle).isEmpty, "hidden for WorkerErrRecent")
        #expect(supervisor.machine.not1(.workersAvailable))
        try await eventually("offered again after the window", timeout: .seconds(5)) { supervisor.workers(.idle).count == 1 }
        try await supervisor.machine.when1(.workersAvailable, timeout: .seconds(5))
        await supervisor.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func missingWorkerCommandGivesErrWorkerThenErrPoolWithoutAForkStorm() async throws {
        let supervisor = Supervisor(configuration: .init(
            kind: "ghost", workerCommand: ["/nonexistent/amnode-worker"], max: 10, min: 2, warm: 3, poolPause: .seconds(30)))
        try await supervisor.start()
        try await supervisor.machine.when1(.errPool, timeout: .seconds(5))
        #expect(String(describing: try #require(supervisor.machine.lastError)).contains("not found: /nonexistent/amnode-worker"))
        // ForkWorker is Multi: the first fork makes its tick 1, every further one adds 2.
        let forks = (supervisor.machine.tick(.forkWorker) + 1) / 2
        try await Task.sleep(for: .milliseconds(500))
        #expect((supervisor.machine.tick(.forkWorker) + 1) / 2 == forks, "no forks during the pause")
        #expect(forks <= 5, "one round of the target (5) at most, not a storm")
        await supervisor.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func workerThatExitsAtStartReportsItsStderr() async throws {
        let supervisor = Supervisor(configuration: .init(
            kind: "broken", workerCommand: ["/bin/sh", "-c", "echo 'cannot start: missing config' >&2; exit 1"],
            max: 1, min: 1, warm: 0, poolPause: .seconds(30)))
        try await supervisor.start()
        try await supervisor.machine.when1(.errWorker, timeout: .seconds(10))
        try await eventually("the exit reason", timeout: .seconds(10)) {
            String(describing: supervisor.machine.lastError.map { "\($0)" } ?? "").contains("missing config")
        }
        try await supervisor.machine.when1(.errPool, timeout: .seconds(10))
        await supervisor.stop()
    }
}
