import AsyncMachine
import AsyncMachineNode

/// What a replay knows at one point of a recording: the machines seen so far and the pool.
///
/// The writer keeps one while it writes (its checkpoints are this value) and a cursor keeps
/// one while it reads; both change it only through the `apply` functions, so seeking to a
/// point through a checkpoint and replaying from the start give the same state.
public struct ReplayState: Sendable, Equatable {
    /// The pool: the last keyframe, with later transitions applied to its flags, counters
    /// and workers. Nil before the first keyframe.
    public internal(set) var snapshot: PoolSnapshot?
    /// Machines by handle.
    public internal(set) var machines: [UInt32: RecordedMachine] = [:]
    /// Transitions applied.
    public internal(set) var transitions: UInt64 = 0

    public init() {}

    /// Keeps the machine without its relations: checkpoints do not carry them, and a state
    /// reached through a checkpoint must equal one reached by reading from the start.
    mutating func apply(machine: RecordedMachine) {
        var m = machine
        m.schema = nil
        m.clock = nil
        machines[m.handle] = m
        if let clock = machine.clock, case .worker(let id) = m.machineRole, clock.count == m.states.count {
            applyWorkerClock(id, names: m.states, clock: clock, at: nil)
        }
    }

    mutating func apply(snapshot: PoolSnapshot) { self.snapshot = snapshot }

    /// A transition of a machine that is not part of the pool (role other): only counted.
    mutating func countTransition() { transitions += 1 }

    /// A transition of machine `handle` that left its clock at `timeAfter`; `details` gives
    /// the states it entered and its args (asked for only when the transition is the
    /// supervisor's, whose args name the worker it is about).
    mutating func applyTransition(handle: UInt32, accepted: Bool, timeAfter: [UInt64], endedAt: UInt64,
                                  details: () -> (entered: [StateName], args: Args)) {
        transitions += 1
        // A rejected or vetoed transition changed nothing, whatever it meant to enter.
        guard accepted, snapshot != nil, let machine = machines[handle], machine.states.count == timeAfter.count else { return }
        let names = machine.states
        func isActive(_ state: StateName) -> Bool? { names.firstIndex(of: state).map { timeAfter[$0] % 2 == 1 } }
        func activations(_ state: StateName) -> Int? { names.firstIndex(of: state).map { Int((timeAfter[$0] + 1) / 2) } }
        switch machine.machineRole {
        case .supervisor:
            guard var s = snapshot else { return }
            s.flags.poolReady = isActive(.poolReady) ?? s.flags.poolReady
            s.flags.normalizingPool = isActive(.normalizingPool) ?? s.flags.normalizingPool
            s.flags.poolNormalized = isActive(.poolNormalized) ?? s.flags.poolNormalized
            s.flags.workersAvailable = isActive(.workersAvailable) ?? s.flags.workersAvailable
            s.flags.ready = isActive(.ready) ?? s.flags.ready
            s.flags.errPool = isActive(.errPool) ?? s.flags.errPool
            s.counters.forked = activations(.forkWorker) ?? s.counters.forked
            s.counters.gone = activations(.workerGone) ?? s.counters.gone
            s.counters.killed = activations(.workerKilled) ?? s.counters.killed
            s.counters.errors = activations(.errWorker) ?? s.counters.errors
            let (entered, args) = details()
            if let id = (try? args.optionalString("worker")) ?? nil {
                Self.apply(entered, to: id, in: &s)
            }
            s.takenAt = max(s.takenAt, endedAt)
            snapshot = s
        case .worker(let id):
            applyWorkerClock(id, names: names, clock: timeAfter, at: endedAt)
        case .other:
            break
        }
    }

    /// A worker mirror's clock sets the worker's active states, and its listing state once
    /// it is linked: busy while a job runs, idle when Idle and free, ready otherwise (whether
    /// it is hidden after an error is only known at the next keyframe).
    private mutating func applyWorkerClock(_ id: String, names: [StateName], clock: [UInt64], at time: UInt64?) {
        guard var s = snapshot, let index = s.workers.firstIndex(where: { $0.id == id }) else { return }
        func isActive(_ state: StateName) -> Bool { names.firstIndex(of: state).map { clock[$0] % 2 == 1 } ?? false }
        var worker = s.workers[index]
        worker.activeStates = names.indices.filter { clock[$0] % 2 == 1 }.map { names[$0].rawValue }
        if [WorkerState.ready, .idle, .busy].contains(worker.state) {
            worker.state = .linked(isActive: isActive, free: worker.client == nil)
        }
        s.workers[index] = worker
        if let time { s.takenAt = max(s.takenAt, time) }
        snapshot = s
    }

    /// The supervisor's worker transitions: a fork adds the worker, linking and readiness
    /// move its listing state, a kill marks it, and WorkerGone removes it.
    private static func apply(_ entered: [StateName], to id: String, in s: inout PoolSnapshot) {
        let index = s.workers.firstIndex { $0.id == id }
        for state in entered {
            switch state {
            case .forkWorker where index == nil:
                s.workers.append(PoolSnapshot.Worker(
                    id: id, workerId: "", pid: nil, state: .initing, activeStates: [], errors: 0, lastError: nil,
                    lastHealthcheckAgeMilliseconds: nil, healthcheckRoundTripMicroseconds: nil, client: nil,
                    uptimeMilliseconds: 0, localAddress: "", publicAddress: ""))
            case .workerConnected:
                if let index, s.workers[index].state == .initing { s.workers[index].state = .rpc }
            case .workerReady:
                if let index, [.initing, .rpc].contains(s.workers[index].state) {
                    let w = s.workers[index]
                    s.workers[index].state = .linked(isActive: { w.activeStates.contains($0.rawValue) }, free: w.client == nil)
                }
            case .killingWorker:
                if let index { s.workers[index].state = .killing }
            case .workerGone:
                s.workers.removeAll { $0.id == id }
            default:
                break
            }
        }
    }

    var checkpoint: ReplayCheckpoint {
        var lists: [[StateName]] = []
        var listIndex: [[StateName]: Int] = [:]
        let entries = machines.values.sorted { $0.handle < $1.handle }.map { m -> ReplayCheckpoint.Machine in
            let index = listIndex[m.states] ?? {
                lists.append(m.states)
                listIndex[m.states] = lists.count - 1
                return lists.count - 1
            }()
            return .init(handle: m.handle, id: m.id, role: m.role, worker: m.worker, parent: m.parent, tags: m.tags, states: index)
        }
        return ReplayCheckpoint(transitions: transitions, snapshot: snapshot, stateLists: lists, machines: entries)
    }

    init(_ checkpoint: ReplayCheckpoint) throws(RecordingError) {
        snapshot = checkpoint.snapshot
        transitions = checkpoint.transitions
        for m in checkpoint.machines {
            guard m.states < checkpoint.stateLists.count else { throw .malformed("checkpoint names state list \(m.states)") }
            machines[m.handle] = RecordedMachine(
                handle: m.handle, id: m.id, role: m.role, worker: m.worker, parent: m.parent, tags: m.tags,
                states: checkpoint.stateLists[m.states], schema: nil)
        }
    }
}

/// A checkpoint record: the whole ``ReplayState`` at that point of the file, so a reader
/// can start there instead of at the beginning. Machines share their state lists.
public struct ReplayCheckpoint: Codable, Sendable, Equatable {
    public struct Machine: Codable, Sendable, Equatable {
        public var handle: UInt32
        public var id: String
        public var role: String
        public var worker: String?
        public var parent: String?
        public var tags: [String]
        /// Index into ``ReplayCheckpoint/stateLists``.
        public var states: Int
    }

    public var transitions: UInt64
    public var snapshot: PoolSnapshot?
    public var stateLists: [[StateName]]
    public var machines: [Machine]
}
