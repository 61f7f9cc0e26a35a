import AsyncMachineNode
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ProcessLauncherTests {
    let launcher = ProcessLauncher.shared

    @Test func exitCodeAndStderrReason() async throws {
        let process = try launcher.launch(["/bin/sh", "-c", "echo 'cannot bind port' >&2; exit 3"])
        let exit = await process.waitForExit()
        #expect(exit.exitCode == 3)
        #expect(exit.signal == nil)
        #expect(exit.stderrTail.contains("cannot bind port"))
        #expect(exit.description.contains("exited with code 3: cannot bind port"))
    }

    @Test func missingBinaryIsAClearError() {
        #expect(throws: LaunchError.notFound("/nonexistent/worker")) { try launcher.launch(["/nonexistent/worker", "-a", "x"]) }
        #expect(throws: LaunchError.notFound("no-such-worker-binary")) { try launcher.launch(["no-such-worker-binary"]) }
        #expect(throws: LaunchError.emptyCommand) { try launcher.launch([]) }
    }

    @Test func exitIsNoticedOnItsOwnAndTheChildIsReaped() async throws {
        let noticed = Shared<ContinuousClock.Instant?>(nil)
        let process = try launcher.launch(["/bin/sleep", "30"]) { _ in noticed.value = .now }
        try await Task.sleep(for: .milliseconds(50))
        kill(process.pid, SIGKILL)
        // Nobody waits for it: the launcher's pidfd watch notices the exit by itself (how
        // fast is `amnode bench pool`'s respawn figure, not a test's clock).
        let deadline = ContinuousClock.now + .seconds(10)
        while noticed.value == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(noticed.value != nil, "the exit was noticed without a wait")
        let exit = await process.waitForExit()
        #expect(exit.signal == SIGKILL)
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(process.pid)"), "reaped: no zombie left")
    }

    @Test func stopAsksFirstThenForces() async throws {
        let polite = try launcher.launch(["/bin/sleep", "30"])
        #expect(await polite.stop(grace: .seconds(5)).signal == SIGTERM)

        let stubborn = try launcher.launch(["/bin/sh", "-c", "trap '' TERM; echo ready >&2; while true; do sleep 1; done"])
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        let exit = await stubborn.stop(grace: .milliseconds(300))
        #expect(exit.signal == SIGKILL)
        #expect(ContinuousClock.now - started >= .milliseconds(300))
    }

    @Test func childrenGetAnEmptySignalMaskWhateverThreadSpawnsThem() async throws {
        let launched = Shared<LaunchedProcess?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGTERM)
            sigaddset(&blocked, SIGINT)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            launched.value = try? ProcessLauncher.shared.launch(["/bin/sh", "-c", "grep SigBlk /proc/self/status >&2"])
            done.signal()
        }
        thread.start()
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                done.wait()
                continuation.resume()
            }
        }
        let process = try #require(launched.value)
        let result = await process.waitForExit()
        #expect(result.stderrTail.contains("SigBlk:\t0000000000000000"), "got: \(result.stderrTail)")
    }

    @Test func manyChildrenAtOnce() async throws {
        let processes = try (0..<30).map { i in try launcher.launch(["/bin/sh", "-c", "exit \(i % 5)"]) }
        for (i, process) in processes.enumerated() {
            #expect(await process.waitForExit().exitCode == Int32(i % 5))
        }
    }
}

/// A value shared between threads and the test.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
