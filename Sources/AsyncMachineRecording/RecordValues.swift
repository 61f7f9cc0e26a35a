import AsyncMachine
import AsyncMachineNode

/// The first record of every recording: what wrote it and the pool it watched.
public struct RecordingHeader: Codable, Sendable, Equatable {
    public var formatVersion: UInt16
    /// The program that wrote it ("amnode", "pooltop") and its version.
    public var tool: String
    public var toolVersion: String
    /// Wall clock at the start, nanoseconds since the Unix epoch.
    public var startedAt: UInt64
    public var host: String
    public var pid: Int32
    /// The supervisor's name and kind, when a pool is recorded.
    public var supervisor: String?
    public var kind: String?
    public var pool: PoolSnapshot.Pool?
    public var workerCommand: [String]?

    public init(tool: String, toolVersion: String, startedAt: UInt64? = nil, host: String = "",
                pid: Int32 = 0, supervisor: String? = nil, kind: String? = nil, pool: PoolSnapshot.Pool? = nil,
                workerCommand: [String]? = nil) {
        formatVersion = RecordingFormat.version
        self.tool = tool
        self.toolVersion = toolVersion
        self.startedAt = startedAt ?? wallClockNanoseconds()
        self.host = host
        self.pid = pid
        self.supervisor = supervisor
        self.kind = kind
        self.pool = pool
        self.workerCommand = workerCommand
    }
}

/// What a recorded machine is in the pool.
public enum MachineRole: Sendable, Equatable, Hashable {
    case supervisor
    /// A supervisor's mirror of one of its workers, with the supervisor's id for it.
    case worker(String)
    case other

    var name: String {
        switch self {
        case .supervisor: "supervisor"
        case .worker: "worker"
        case .other: "machine"
        }
    }

    var worker: String? {
        if case .worker(let id) = self { return id }
        return nil
    }

    init(name: String, worker: String?) {
        switch (name, worker) {
        case ("supervisor", _): self = .supervisor
        case ("worker", let id?): self = .worker(id)
        default: self = .other
        }
    }
}

/// A machine's schema record: written before its first transition and again whenever its
/// schema grows. Transitions refer to it by `handle` and to its states by index.
public struct RecordedMachine: Codable, Sendable, Equatable {
    public var handle: UInt32
    public var id: String
    public var role: String
    public var worker: String?
    public var parent: String?
    public var tags: [String]
    /// State order: what every index and clock vector of its transitions refers to.
    public var states: [StateName]
    /// The relations, when the recorder was handed the machine (absent when it only saw
    /// transitions of it).
    public var schema: Schema?
    /// The machine's clock when the recorder was handed it (absent for machines seen only
    /// through their transitions, and when a transition was recorded first).
    public var clock: [UInt64]?

    public var machineRole: MachineRole { MachineRole(name: role, worker: worker) }
}

/// An error a recording holds: a pool error (a worker's or the supervisor's Exception)
/// or one of the recorder's own (records it had to drop).
public struct RecordedError: Codable, Sendable, Equatable {
    public var message: String
    public var worker: String?
    public var machine: String?
    /// "pool" or "recorder".
    public var source: String

    public init(message: String, worker: String? = nil, machine: String? = nil, source: String) {
        self.message = message
        self.worker = worker
        self.machine = machine
        self.source = source
    }
}

/// The last record of a recording closed cleanly. Its absence means the writer stopped
/// without closing (a crash); everything before is still readable.
public struct RecordingEnd: Codable, Sendable, Equatable {
    public var transitions: UInt64
    public var records: UInt64
    /// Records the recorder had to drop because its buffer was full or the disk failed.
    public var dropped: UInt64
    public var failure: String?
}

/// A decoded record.
public enum RecordBody: Sendable, Equatable {
    case header(RecordingHeader)
    case machine(RecordedMachine)
    case transition(TransitionRecord, handle: UInt32)
    case snapshot(PoolSnapshot)
    case action(OperatorAction)
    case error(RecordedError)
    case checkpoint(ReplayCheckpoint)
    case end(RecordingEnd)
    /// A kind this build does not know; skipped.
    case unknown(UInt8)
}

/// A record and where it sits in the file.
public struct RecordEntry: Sendable, Equatable {
    public var frame: FrameInfo
    public var body: RecordBody
}
