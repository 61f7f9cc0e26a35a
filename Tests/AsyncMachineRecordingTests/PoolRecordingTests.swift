import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Recording a real supervisor with real worker processes (`amnode worker`).
@Suite(.serialized) struct PoolRecordingTests {
    final class Mirrors: Sendable {
        private let byWorker = Mutex<[String: Machine]>([:])
        func set(_ id: String, _ machine: Machine) { byWorker.withLock { $0[id] = machine } }
        func get(_ id: String) -> Machine? { byWorker.withLock { $0[id] } }
    }

    final class Messages: Sendable {
        private let list = Mutex<[String]>([])
        func append(_ message: String) { list.withLock { $0.append(message) } }
        var all: [String] { list.withLock { $0 } }
    }

    private func readyCount(_ supervisor: Supervisor) -> Int {
        supervisor.workers().filter { [.ready, .idle, .busy].contains($0.state) }.count
    }

    @Test(.enabled(if: amnodePath != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func recordingOfARealPoolReplaysItsKeyframesWorkKillsAndErrors() async throws {
        let amnode = try #require(amnodePath)
        let dir = TempDir()
        let path = dir.file("pool.amrec")
        let supervisor = Supervisor(configuration: .init(
            kind: "rec", workerCommand: [amnode, "worker", "--error-rate", "0.5", "--latency", "5"], max: 4, min: 2, warm: 0))
        let recorder = try Recorder(path: path, header: .pool(supervisor, tool: "tests", toolVersion: "1"),
                                    configuration: .init(checkpointInterval: 40))
        let recording = PoolRecording(supervisor: supervisor, recorder: recorder, keyframeInterval: .milliseconds(500),
                                      changeThrottle: .milliseconds(50))
        let mirrors = Mirrors()
        supervisor.observeWorkerMirrors { id, mirror in mirrors.set(id, mirror) }
        var handed: [PoolSnapshot] = []
        func handKeyframe() {
            let snapshot = supervisor.snapshot()
            recorder.recordSnapshot(snapshot)
            handed.append(snapshot)
        }

        try await supervisor.start()
        try await supervisor.machine.when([.poolReady, .workersAvailable], timeout: .seconds(20))
        try await eventually("2 idle workers") { supervisor.workers(.idle).count == 2 }
        handKeyframe()

        // Work: a client gets a worker and sends jobs until one succeeded and one failed.
        let client = NodeClient(configuration: .init(name: "rec-client", supervisors: [try #require(supervisor.publicAddress)]))
        try await client.start()
        let worker = try await client.requestWorker()
        let served = try #require(supervisor.workers().first { $0.client == client.workerClientId })
        let mirror = try #require(mirrors.get(served.id))
        var (successes, failures, input) = (0, 0, 1)
        var unanswered: [Task<ArgValue, any Error>] = []
        while successes == 0 || failures == 0, input <= 40 {
            let (errBefore, sentBefore) = (mirror.tick(.errWork), mirror.tick(.clientSendPayload))
            let payload = Task { try await client.nextPayload(named: "result", timeout: .seconds(2)) }
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await worker.add1(.workRequested, ["input": .int(input)]) == .executed)
            try await eventually("job \(input) done") { mirror.tick(.errWork) > errBefore || mirror.tick(.clientSendPayload) > sentBefore }
            if mirror.tick(.errWork) > errBefore {
                failures += 1
                unanswered.append(payload)
            } else {
                successes += 1
                #expect(try await payload.value == .int(input * input))
            }
            try await eventually("the worker is idle again") { mirror.is1(.idle) }
            input += 1
        }
        #expect(successes > 0 && failures > 0, "jobs ran both ways: \(successes) ok, \(failures) failed")
        for task in unanswered { _ = try? await task.value }
        await client.releaseWorker()
        try await eventually("the worker is back") { supervisor.workers(.idle).count == 2 }
        handKeyframe()

        // An operator kills a worker: a requested kill, replaced.
        let killed = try #require(supervisor.workers(.idle).first { $0.id != served.id })
        let action = supervisor.perform(.kill(worker: killed.id, force: false), origin: "test")
        #expect(action.ok)
        try await eventually("killed and replaced") {
            !supervisor.workers().contains { $0.id == killed.id } && supervisor.workers(.idle).count == 2
        }
        handKeyframe()

        // A worker dies on its own (SIGKILL): ErrWorker, replaced.
        let victim = try #require(supervisor.workers(.idle).first { $0.id != served.id && $0.id != killed.id })
        let victimPid = try #require(victim.pid)
        let errorsBefore = supervisor.machine.tick(.errWorker)
        kill(victimPid, SIGKILL)
        try await eventually("the -9 is an ErrWorker") { supervisor.machine.tick(.errWorker) > errorsBefore }
        try await eventually("replaced") {
            !supervisor.workers().contains { $0.id == victim.id } && supervisor.workers(.idle).count == 2
        }
        handKeyframe()
        await client.stop()
        await supervisor.stop()
        recording.stop()
        #expect(recorder.status.closed && recorder.status.dropped == 0 && recorder.status.failure == nil)

        // What the file holds.
        let reader = try RecordingReader(path: path)
        #expect(reader.header.supervisor == supervisor.name && reader.header.workerCommand == supervisor.workerCommand)
        let (records, damage) = reader.records()
        #expect(damage.isEmpty, "\(damage)")
        #expect(records.last?.frame.kind == .end)
        let snapshotRecords = records.filter { $0.frame.kind == .snapshot }
        for snapshot in handed {
            #expect(snapshotRecords.contains { $0.body.snapshot == snapshot }, "keyframe \(snapshot.seq) is in the file as handed over")
        }

        // Replaying to each keyframe gives that keyframe: the last one at its position.
        var keyframes: [UInt64: PoolSnapshot] = [:]
        for entry in snapshotRecords { keyframes[entry.frame.transitionCount] = entry.body.snapshot }
        #expect(keyframes.count >= 5, "keyframes at \(keyframes.keys.sorted())")
        let seeker = try ReplayCursor(path: path)
        for (position, snapshot) in keyframes.shuffled() {
            try seeker.seek(toTransition: position)
            #expect(seeker.snapshot == snapshot, "seek to keyframe at \(position)")
        }
        let stepper = try ReplayCursor(path: path)
        for position in keyframes.keys.sorted() {
            try stepper.seek(toTransition: position)
            #expect(stepper.snapshot == keyframes[position], "step to keyframe at \(position)")
        }
        // The replayed pool shows what happened: the workers that came and went.
        let workersSeen = Set(snapshotRecords.compactMap(\.body.snapshot).flatMap { $0.workers.map(\.id) })
        #expect(workersSeen.isSuperset(of: [served.id, killed.id, victim.id]))
        try stepper.last()
        let final = try #require(stepper.snapshot)
        #expect(final.workers.isEmpty, "the pool was stopped: \(final.workers.map(\.id))")
        #expect(final.counters.killed >= 1 && final.counters.errors >= 1 && final.counters.forked >= 4)

        // The worker mirrors' transitions are in it, with their worker.
        let machines = records.compactMap(\.body.machine)
        let workerMachines = Dictionary(machines.filter { $0.role == "worker" }.map { ($0.handle, $0) }, uniquingKeysWith: { $1 })
        #expect(Set(workerMachines.values.compactMap(\.worker)).isSuperset(of: [served.id, killed.id, victim.id]))
        #expect(machines.contains { $0.role == "supervisor" && $0.id == supervisor.machine.id && $0.schema == Schema.supervisor })
        var servedJobs = 0
        for entry in records {
            guard case .transition(let t, let handle) = entry.body, workerMachines[handle]?.worker == served.id else { continue }
            if t.entered.contains(.workRequested) { servedJobs += 1 }
        }
        #expect(servedJobs == input - 1, "every job the client sent shows in the worker's mirror")
        let events = try stepper.events(limit: 100_000)
        #expect(events.contains { $0.kind == .transition && $0.worker == served.id && $0.transition?.entered.contains(.errWork) == true })

        // The failed jobs are errors of that worker.
        let errors = records.filter { $0.frame.kind == .error }
        let jobErrors = errors.compactMap(\.body.error).filter { $0.machine == mirror.id }
        #expect(jobErrors.allSatisfy { $0.worker == served.id && $0.message.hasPrefix("ErrWork") && $0.source == "pool" }, "\(jobErrors)")
        #expect(jobErrors.count == failures, "\(jobErrors)")

        // The kill: an action record, ok, from the test.
        let kills = records.compactMap(\.body.action).filter { $0.name == .kill }
        #expect(kills.count == 1)
        #expect(kills.first.map { $0.ok && $0.target == killed.id && $0.origin == "test" && $0.result == "SIGTERM sent" } == true, "\(kills)")
        #expect(!errors.contains { $0.body.error?.worker == killed.id }, "a requested kill is no error")

        // The -9: an error record naming the worker and the signal, and nextError() lands on it.
        let died = try #require(errors.first { $0.body.error?.worker == victim.id })
        let diedError = try #require(died.body.error)
        #expect(diedError.source == "pool" && diedError.machine == supervisor.machine.id)
        #expect(diedError.message.contains("ErrWorker") && diedError.message.contains("signal 9") && diedError.message.contains("\(victimPid)"),
                "\(diedError.message)")
        let cursor = try ReplayCursor(path: path)
        var landed = false
        while try cursor.nextError() {
            if cursor.position == died.frame.transitionCount {
                landed = true
                #expect(try cursor.events(limit: 20).contains { $0.kind == .error && $0.worker == victim.id && $0.error == diedError.message })
                break
            }
            #expect(cursor.position < died.frame.transitionCount, "nextError went past the -9")
        }
        #expect(landed, "nextError() stops at the -9 error")
        #expect(try cursor.previousError())
        #expect(cursor.position < died.frame.transitionCount)
    }

    /// Writes to /dev/full fail with ENOSPC: the recorder says so once and drops records;
    /// the pool it records does not notice.
    @Test(.enabled(if: amnodePath != nil && FileManager.default.fileExists(atPath: "/dev/full"), "needs amnode and /dev/full"),
          .timeLimit(.minutes(1)))
    func diskFailureIsReportedAndThePoolKeepsRunning() async throws {
        let amnode = try #require(amnodePath)
        let supervisor = Supervisor(configuration: .init(kind: "full", workerCommand: [amnode, "worker"], max: 3, min: 1, warm: 0))
        let reported = Messages()
        let recorder = try Recorder(path: "/dev/full", header: .pool(supervisor, tool: "tests", toolVersion: "1"),
                                    configuration: .init(overwrite: true, onFailure: { reported.append($0) }))
        try await eventually("the failure is reported") { recorder.status.failure != nil && !reported.all.isEmpty }
        let failure = try #require(recorder.status.failure)
        #expect(failure.contains("/dev/full") && failure.contains("No space left"), "\(failure)")
        #expect(reported.all == [failure])

        let recording = PoolRecording(supervisor: supervisor, recorder: recorder, changeThrottle: .milliseconds(50))
        try await supervisor.start()
        try await supervisor.machine.when1(.poolReady, timeout: .seconds(20))
        let fork = supervisor.perform(.fork(count: 1), origin: "test")
        #expect(fork.ok, "\(fork)")
        try await eventually("the forked worker is ready", timeout: .seconds(20)) { readyCount(supervisor) == 2 }
        try await eventually("records are counted as dropped") { recorder.status.dropped > 10 }
        #expect(reported.all == [failure], "reported once")
        #expect(recorder.status.transitions == 0 && recorder.status.bytes == 0, "nothing counts as recorded: \(recorder.status)")
        #expect(supervisor.machine.is1(.poolReady) && !supervisor.machine.is1(.errPool))

        // close() returns (it does not wait for a disk that will never take the bytes).
        let closed = Task.detached { recording.stop() }
        try await eventually("close returned", timeout: .seconds(5)) { recorder.status.closed }
        await closed.value
        #expect(recorder.status.failure == failure)
        await supervisor.stop()
        #expect(supervisor.workers().isEmpty)
    }
}
