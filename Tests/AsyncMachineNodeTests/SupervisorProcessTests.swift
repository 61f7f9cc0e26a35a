import AsyncMachineNode
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `amnode supervisor` as a process: signals at any moment leave no worker behind.
@Suite(.serialized) struct SupervisorProcessTests {
    /// Pids of live processes whose command line contains `marker`.
    private func processes(containing marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let cmdline = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmdline.contains(marker) ? pid : nil
        }
    }

    private func startSupervisor(_ marker: String) throws -> LaunchedProcess {
        let amnode = try #require(SupervisorTests.amnode)
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(marker).token").path
        return try ProcessLauncher.shared.launch([
            amnode, "supervisor", "--listen", "127.0.0.1:0", "--kind", marker, "--min", "2", "--warm", "1", "--max", "3",
            "--token-file", tokenFile,
        ])
    }

    private func waitUntil(_ timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)),
          arguments: [0, 100, 1000])
    func sigtermAtAnyMomentLeavesNoWorker(afterMilliseconds delay: Int) async throws {
        let marker = "sigterm\(delay)x\(getpid())"
        let supervisor = try startSupervisor(marker)
        try await Task.sleep(for: .milliseconds(delay))
        if delay >= 1000 {
            #expect(!processes(containing: "worker --kind \(marker)").isEmpty, "workers were running when the signal came")
        }
        supervisor.terminate()
        let exit = await supervisor.waitForExit()
        #expect(exit.exitCode == 0 || exit.signal == SIGTERM, "\(exit)")
        // Workers are reaped before the supervisor exits: nothing with the marker is left.
        #expect(processes(containing: "worker --kind \(marker)").isEmpty, "workers left after SIGTERM at \(delay) ms")
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func sigkillLeavesNoWorkerAliveAfterTwoSeconds() async throws {
        let marker = "sigkill\(getpid())"
        let supervisor = try startSupervisor(marker)
        #expect(try await waitUntil(.seconds(20)) { processes(containing: "worker --kind \(marker)").count == 3 })
        supervisor.forceKill()
        _ = await supervisor.waitForExit()
        // The workers notice the lost link (and the parent-death signal) and exit.
        #expect(try await waitUntil(.seconds(2)) { processes(containing: "worker --kind \(marker)").isEmpty },
                "workers alive 2 s after the supervisor was killed: \(processes(containing: "worker --kind \(marker)"))")
    }
}
