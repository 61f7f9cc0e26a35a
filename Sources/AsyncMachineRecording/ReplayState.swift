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
        machines[m.handle] = m
    }

    mutating func apply(snapshot: PoolSnapshot) { self.snapshot = snapshot }

    /// A transition of machine `handle` that left its clock at `timeAfter`.
    mutating func applyTransition(handle: UInt32, timeAfter: [UInt64], endedAt: UInt64) {
        transitions += 1
        guard snapshot != nil, let machine = machines[handle], machine.states.count == timeAfter.count else { return }
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
            s.takenAt = max(s.takenAt, endedAt)
            snapshot = s
        case .worker(let id):
            guard var s = snapshot, let index = s.workers.firstIndex(where: { $0.id == id }) else { return }
            var worker = s.workers[index]
            worker.activeStates = names.indices.filter { timeAfter[$0] % 2 == 1 }.map { names[$0].rawValue }
            // The listing state follows the worker's own states once it is linked; whether
            // it is hidden after an error is only known at the next keyframe.
            if [.ready, .idle, .busy].contains(worker.state) {
                let working = [StateName.workRequested, .working, .workReady].contains { isActive($0) == true }
                if working {
                    worker.state = .busy
                } else if worker.state == .busy {
                    worker.state = isActive(.idle) == true && worker.client == nil ? .idle : .ready
                }
            }
            s.workers[index] = worker
            s.takenAt = max(s.takenAt, endedAt)
            snapshot = s
        case .other:
            break
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
