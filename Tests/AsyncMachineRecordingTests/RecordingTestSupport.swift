import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: Files

/// A unique temporary directory, removed with everything in it when the value goes away.
final class TempDir: Sendable {
    let path: String

    init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }.prefix(40)
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("amrec-\(safe)-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        path = dir
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes<C: Collection>(_ bytes: C, to path: String) throws where C.Element == UInt8 {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Wall clock in nanoseconds since the Unix epoch (what recordings use).
func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CRC-32 (IEEE), as the format specifies: for tests that patch a record and re-seal it.
func crc32(_ bytes: some Collection<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
    return crc ^ 0xFFFF_FFFF
}

// MARK: Waiting

/// Polls `condition` every 10 ms; records an issue naming `what` and throws on timeout.
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for: \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// The same, for code that cannot await (blocks the thread).
func waitBlocking(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for: \(what)")
            throw CancellationError()
        }
        usleep(5_000)
    }
}

// MARK: Tracers

/// Captures every finished transition as the live feeds see it: `TransitionRecord(tx)`.
final class LiveTracer: Tracer {
    let records = Mutex<[TransitionRecord]>([])
    var all: [TransitionRecord] { records.withLock { $0 } }
    var count: Int { records.withLock { $0.count } }

    func transitionEnd(_ transition: Transition) {
        let record = TransitionRecord(transition)
        records.withLock { $0.append(record) }
    }
}

/// Bytes collected by another thread.
final class ByteSink: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func append(_ more: ArraySlice<UInt8>) { bytes.withLock { $0 += more } }
    var all: [UInt8] { bytes.withLock { $0 } }
}

// MARK: Records

extension RecordBody {
    var transition: TransitionRecord? {
        if case .transition(let t, _) = self { return t }
        return nil
    }

    var snapshot: PoolSnapshot? {
        if case .snapshot(let s) = self { return s }
        return nil
    }

    var action: OperatorAction? {
        if case .action(let a) = self { return a }
        return nil
    }

    var error: RecordedError? {
        if case .error(let e) = self { return e }
        return nil
    }

    var machine: RecordedMachine? {
        if case .machine(let m) = self { return m }
        return nil
    }

    var end: RecordingEnd? {
        if case .end(let e) = self { return e }
        return nil
    }
}

/// The end offset of a frame (the format's `offset + size`).
extension FrameInfo {
    var endOffset: UInt64 { offset + UInt64(size) }
}

/// The machines by handle, as the records up to each one name them.
func machinesByHandle(_ records: [RecordEntry]) -> [UInt32: RecordedMachine] {
    var machines: [UInt32: RecordedMachine] = [:]
    for entry in records { if let m = entry.body.machine { machines[m.handle] = m } }
    return machines
}

/// The event log a live feed would have shown for the records with `transitionCount <= position`
/// (an oracle built only from the decoded records, independent of the cursor).
func expectedEvents(_ records: [RecordEntry], upTo position: UInt64) -> [PoolEvent] {
    var machines: [UInt32: RecordedMachine] = [:]
    var events: [PoolEvent] = []
    for entry in records where entry.frame.transitionCount <= position {
        switch entry.body {
        case .machine(let m): machines[m.handle] = m
        case .transition(let t, let handle): events.append(.transition(t, worker: machines[handle]?.worker))
        case .action(let a):
            events.append(PoolEvent(kind: .action, time: entry.frame.time, worker: a.name == .provide ? nil : a.target, action: a))
        case .error(let e): events.append(PoolEvent(kind: .error, time: entry.frame.time, worker: e.worker, error: e.message))
        default: break
        }
    }
    return events
}

// MARK: Snapshots

/// Synthetic pool keyframes for the recorder.
enum Snapshots {
    static func worker(_ id: String, state: WorkerState, activeStates: [String] = [], errors: Int = 0, client: String? = nil) -> PoolSnapshot.Worker {
        PoolSnapshot.Worker(
            id: id, workerId: "wid-\(id)", pid: Int32(1000 + id.utf8.reduce(0) { $0 + Int($1) }), state: state,
            activeStates: activeStates, errors: errors, lastError: errors > 0 ? "healthcheck failed" : nil,
            lastHealthcheckAgeMilliseconds: 250, healthcheckRoundTripMicroseconds: 900, client: client, uptimeMilliseconds: 1234,
            localAddress: "127.0.0.1:1", publicAddress: "127.0.0.1:2")
    }

    static func pool(seq: UInt64, takenAt: UInt64, workers: [PoolSnapshot.Worker], poolReady: Bool = true,
                     forked: Int = 0, clients: [String] = []) -> PoolSnapshot {
        PoolSnapshot(
            seq: seq, takenAt: takenAt, supervisor: "test-1", kind: "test",
            pool: .init(min: 2, max: 5, warm: 1, target: 3, maxClientWorkers: 5, heartbeatMilliseconds: 60_000),
            flags: .init(poolReady: poolReady, normalizingPool: false, poolNormalized: true, workersAvailable: true,
                         ready: poolReady, errPool: false),
            counters: .init(forked: forked, gone: 0, killed: 0, errors: 0), workers: workers, clients: clients)
    }
}

// MARK: A deterministic random source

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct DemoError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}

// MARK: A synthetic pool recording

/// A recording of a pool made of in-process machines: a supervisor-role machine, three
/// worker mirrors (`w1`...`w3`, matching the workers of the keyframes), random mutations of
/// all of them, keyframes, operator actions (some stamped a little in the future, as a
/// racing thread would), errors, and checkpoints every `checkpointInterval` transitions.
struct SyntheticPool {
    let path: String
    /// Transitions the machines made (the recording holds all of them).
    let transitions: Int
    let workers = ["w1", "w2", "w3"]

    static let supervisorId = "ns-synthetic"

    static func workerMachineId(_ id: String) -> String { "rnm-\(id)" }

    init(path: String, transitions target: Int, checkpointInterval: Int, seed: UInt64 = 42) throws {
        self.path = path
        var rng = SplitMix64(seed: seed)
        let header = RecordingHeader(tool: "tests", toolVersion: "1", host: "test-host", pid: getpid(), supervisor: "synthetic", kind: "test")
        let recorder = try Recorder(path: path, header: header, configuration: .init(checkpointInterval: checkpointInterval))
        let counter = LiveTracer()
        let supervisor = Machine(.supervisor, id: Self.supervisorId, configuration: .init(tags: ["pool"]))
        recorder.record(supervisor, role: .supervisor)
        supervisor.attach(counter)
        let workerIds = workers
        let machines = workerIds.map { id -> Machine in
            let m = Machine(.worker, id: Self.workerMachineId(id), configuration: .init(parentId: Self.supervisorId))
            recorder.record(m, role: .worker(id))
            m.attach(counter)
            return m
        }
        var seq: UInt64 = 0
        func keyframe(future: Bool) {
            seq += 1
            let states: [WorkerState] = [.idle, .ready, .busy, .initing, .rpc]
            let workers = workerIds.map { id in
                Snapshots.worker(id, state: states[Int(rng.next() % UInt64(states.count))], activeStates: ["Start"])
            }
            // An occasional keyframe leaves a worker out (it was gone at the time).
            let listed = rng.next() % 5 == 0 ? Array(workers.dropLast()) : workers
            recorder.recordSnapshot(Snapshots.pool(seq: seq, takenAt: nowNanoseconds() + (future ? 3_000_000 : 0), workers: listed,
                                                   poolReady: rng.next() % 2 == 0, forked: Int(seq)))
        }
        keyframe(future: false)
        supervisor.add1(.start)
        for m in machines {
            m.add1(.start)
            m.add([.localRpcReady, .publicRpcReady])
            m.add1(.ready)
        }
        let workStates: [StateName] = [.workRequested, .working, .workReady, .idle, .healthcheck]
        let poolStates: [StateName] = [.forkWorker, .workerGone, .workerKilled, .poolReady, .poolStarting, .workersAvailable,
                                       .normalizingPool, .poolNormalized, .workerReady]
        while counter.count < target {
            let roll = rng.next() % 100
            switch roll {
            case 0..<62:
                let m = machines[Int(rng.next() % UInt64(machines.count))]
                let state = workStates[Int(rng.next() % UInt64(workStates.count))]
                m.add1(state, ["input": .int(Int(rng.next() % 100))])
            case 62..<66:
                let m = machines[Int(rng.next() % UInt64(machines.count))]
                m.addErrState(.errWork, DemoError(text: "job failed #\(rng.next() % 1000)"))
            case 66..<69:
                machines[Int(rng.next() % UInt64(machines.count))].remove1(.exception)
            case 69..<88:
                let state = poolStates[Int(rng.next() % UInt64(poolStates.count))]
                let worker = workerIds[Int(rng.next() % UInt64(workerIds.count))]
                if rng.next() % 4 == 0 { supervisor.remove1(state) } else { supervisor.add1(state, ["worker": .string(worker)]) }
            case 88..<90:
                let worker = workerIds[Int(rng.next() % UInt64(workerIds.count))]
                supervisor.addErrState(.errWorker, DemoError(text: "worker \(worker) failed"), ["worker": .string(worker)])
            case 90..<94:
                keyframe(future: rng.next() % 3 == 0)
            case 94..<98:
                let worker = workerIds[Int(rng.next() % UInt64(workerIds.count))]
                let names: [OperatorAction.Name] = [.kill, .forceKill, .drain, .fork, .heartbeat]
                let name = names[Int(rng.next() % UInt64(names.count))]
                let future = rng.next() % 3 == 0
                recorder.recordAction(OperatorAction(name: name, target: name == .fork || name == .heartbeat ? nil : worker,
                                                     count: name == .fork ? 1 : nil, ok: rng.next() % 4 != 0, result: "done",
                                                     origin: "test"),
                                      at: nowNanoseconds() + (future ? 2_000_000 : 0))
            default:
                let worker = workerIds[Int(rng.next() % UInt64(workerIds.count))]
                recorder.recordError(RecordedError(message: "healthcheck of \(worker) failed", worker: worker, source: "pool"))
            }
        }
        transitions = counter.count
        recorder.close()
        #expect(recorder.status.dropped == 0, "the synthetic recording dropped records")
    }
}

// MARK: amnode

/// The `amnode` binary of the build that runs the tests (next to the test bundle), or the
/// default build's.
let amnodePath: String? = {
    var candidates: [String] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // Inside an .xctest bundle directory on some platforms.
        for _ in 0..<3 {
            candidates.append(dir.appendingPathComponent("amnode").path)
            dir = dir.deletingLastPathComponent()
        }
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/amnode").path)
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

// MARK: Heavy work

/// Runs CPU-heavy test work on a thread of its own and returns its result. On the
/// cooperative pool (2 threads on this machine kind) seconds of work would keep the
/// suite's other tests from resuming, and their waits would time out.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
