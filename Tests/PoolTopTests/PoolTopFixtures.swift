import AsyncMachine
@testable import AsyncMachineNode
import Foundation
@testable import PoolTop

/// Snapshots, events and models for the dashboard tests: a pool described in a few words.
enum Fixture {
    /// 2026-01-01 12:00:00.000 UTC, so timestamps read as 12:00:…
    static let t0: UInt64 = 1_767_268_800 * 1_000_000_000

    static func seconds(_ s: Double) -> UInt64 { UInt64(s * 1_000_000_000) }

    static func worker(_ n: Int, _ state: WorkerState = .idle, id: String? = nil, pid: Int32? = nil, client: String? = nil,
                       errors: Int = 0, lastError: String? = nil, healthAgeMs: Int? = 500, roundTripUs: Int? = 850,
                       uptimeMs: Int = 65_000, active: [String] = ["Start", "Ready", "Idle"]) -> PoolSnapshot.Worker {
        PoolSnapshot.Worker(
            id: id ?? "w\(n)", workerId: "worker-\(n)", pid: pid ?? Int32(4400 + n), state: state, activeStates: active,
            errors: errors, lastError: lastError, lastHealthcheckAgeMilliseconds: healthAgeMs,
            healthcheckRoundTripMicroseconds: roundTripUs, client: client, uptimeMilliseconds: uptimeMs,
            localAddress: "127.0.0.1:\(5000 + 2 * n)", publicAddress: "127.0.0.1:\(5001 + 2 * n)")
    }

    static func snapshot(_ workers: [PoolSnapshot.Worker], at time: UInt64 = t0, seq: UInt64 = 1,
                         min: Int = 2, max: Int = 10, warm: Int = 5, target: Int? = nil, heartbeatMs: Int = 60_000,
                         poolReady: Bool = true, errPool: Bool = false, errors: Int = 0, clients: [String] = ["c-1"]) -> PoolSnapshot {
        PoolSnapshot(
            seq: seq, takenAt: time, supervisor: "demo", kind: "demo-worker",
            pool: .init(min: min, max: max, warm: warm, target: target ?? Swift.min(max, min + warm), maxClientWorkers: 1,
                        heartbeatMilliseconds: heartbeatMs),
            flags: .init(poolReady: poolReady, normalizingPool: false, poolNormalized: true, workersAvailable: true,
                         ready: true, errPool: errPool),
            counters: .init(forked: workers.count, gone: 0, killed: 0, errors: errors),
            workers: workers, clients: clients)
    }

    /// A pool of three idle workers, one busy with client c-3 and one starting.
    static var smallPool: PoolSnapshot {
        snapshot([worker(1), worker(2), worker(3), worker(12, .busy, pid: 4411, client: "c-3"), worker(5, .initing, uptimeMs: 2_000)])
    }

    // A decoded record to copy: TransitionRecord's only public initializer takes a live
    // Transition, and every field is a `var`. The JSON is a constant, so decoding cannot fail.
    private static let baseRecord: TransitionRecord = {
        let json = #"{"machineId":"ns-demo","id":1,"type":"add","called":[],"args":{},"isAuto":false,"isCheck":false,"accepted":true,"result":"executed","entered":[],"exited":[],"timeBefore":[],"timeAfter":[],"startedAt":0,"endedAt":0}"#
        // swiftlint:disable:next force_try
        return try! JSONDecoder().decode(TransitionRecord.self, from: Data(json.utf8))
    }()

    static func transition(_ worker: String?, _ type: MutationType = .add, called: [StateName], entered: [StateName] = [],
                           exited: [StateName] = [], accepted: Bool = true, args: Args = [:], at time: UInt64) -> PoolEvent {
        var record = baseRecord
        record.machineId = worker ?? "ns-demo"
        record.type = type
        record.called = called
        record.entered = accepted ? entered : []
        record.exited = accepted ? exited : []
        record.accepted = accepted
        record.result = accepted ? "executed" : "canceled"
        record.args = args
        record.startedAt = time
        record.endedAt = time
        return .transition(record, worker: worker)
    }

    static func heartbeat(at time: UInt64) -> PoolEvent {
        transition(nil, called: [.heartbeat], entered: [.heartbeat], at: time)
    }

    static func error(_ worker: String?, _ message: String = "ErrWork: boom", at time: UInt64) -> PoolEvent {
        PoolEvent(kind: .error, time: time, worker: worker, error: message)
    }

    static func action(_ name: OperatorAction.Name, target: String? = nil, ok: Bool = true, result: String = "",
                       count: Int? = nil) -> OperatorAction {
        OperatorAction(name: name, target: target, count: count, ok: ok, result: result, latencyMicroseconds: 1200, origin: "dashboard")
    }

    /// A model showing `snapshot`.
    static func model(_ mode: DashboardMode = .embedded, readonly: Bool = false, snapshot: PoolSnapshot? = smallPool,
                      events: [PoolEvent] = []) -> DashboardModel {
        var model = DashboardModel(mode: mode, readonly: readonly)
        if !events.isEmpty { model.apply(.events(events)) }
        if let snapshot { model.apply(.snapshot(snapshot)) }
        return model
    }
}

extension DashboardModel {
    /// Presses keys in order; returns every effect.
    @discardableResult
    mutating func press(_ keys: Key...) -> [Effect] {
        keys.flatMap { handle($0) }
    }

    /// Types text, one character key each.
    @discardableResult
    mutating func type(_ text: String) -> [Effect] {
        text.flatMap { handle(.character($0)) }
    }

    /// The screen at a size, at pool time `now` (default: the fixture's t0 + 1 s).
    func screen(_ width: Int = 80, _ height: Int = 24, now: UInt64 = Fixture.t0 + Fixture.seconds(1)) -> Screen {
        DashboardRenderer.render(self, width: width, height: height, now: now)
    }
}

extension Screen {
    /// The rows whose text contains `needle`.
    func rows(containing needle: String) -> [Int] {
        (0..<height).filter { line($0).contains(needle) }
    }

    /// The style of the first cell of the first row containing `needle`, at the needle.
    func style(of needle: String) -> CellStyle? {
        for row in 0..<height {
            let text = line(row)
            guard let range = text.range(of: needle) else { continue }
            // Columns equal characters for the ASCII lines these tests look at.
            let column = text.distance(from: text.startIndex, to: range.lowerBound)
            return self[row, column].style
        }
        return nil
    }
}
