import AsyncMachine
import AsyncMachineNode
import DequeModule
import Dispatch
import Foundation
import Logging
import Synchronization

/// Writes a recording: a ``Tracer`` for the machines it is given, plus keyframes, operator
/// actions and errors handed to it.
///
/// It never blocks a machine. Tracer calls only append to a bounded buffer; a background
/// thread encodes and writes. When the buffer is full the record is dropped and counted,
/// and the writer puts an error record in the file saying how many. When the disk fails,
/// the recorder logs it once, reports it through ``Status/failure`` and
/// ``Configuration/onFailure``, and from then on drops records instead of stopping anyone.
///
/// Call ``close()`` when done: it writes the end record; the writer thread lives until then.
public final class Recorder: Tracer {
    public struct Configuration: Sendable {
        /// Records waiting for the writer before new ones are dropped. Default 65,536.
        public var bufferCapacity: Int
        /// A checkpoint (the whole replay state) after this many transitions, which bounds
        /// how far a reader replays after a seek. Default 2,000.
        public var checkpointInterval: Int
        /// Replace an existing file instead of refusing to. Default false: recordings are
        /// evidence and are never overwritten by accident.
        public var overwrite: Bool
        /// Called once, on the writer thread, when writing fails.
        public var onFailure: (@Sendable (String) -> Void)?
        public var logger: Logger

        public init(bufferCapacity: Int = 65_536, checkpointInterval: Int = 2_000, overwrite: Bool = false,
                    onFailure: (@Sendable (String) -> Void)? = nil, logger: Logger = Logger(label: "asyncmachine.recorder")) {
            self.bufferCapacity = bufferCapacity
            self.checkpointInterval = checkpointInterval
            self.overwrite = overwrite
            self.onFailure = onFailure
            self.logger = logger
        }
    }

    /// How the recording is going.
    public struct Status: Sendable, Equatable {
        public var records: UInt64 = 0
        public var transitions: UInt64 = 0
        public var bytes: UInt64 = 0
        /// Records lost: the buffer was full, or the disk had failed.
        public var dropped: UInt64 = 0
        /// Why writing stopped, once it has.
        public var failure: String?
        public var closed = false
    }

    /// Records other than transitions, kept as values until the writer encodes them.
    enum Pending: Sendable {
        case machine(RecordedMachine)
        case snapshot(PoolSnapshot)
        case action(OperatorAction, time: UInt64)
        case error(RecordedError, time: UInt64)
    }

    /// What a machine is recorded as (the producer side's table).
    private struct Registration {
        var handle: UInt32
        var stateCount: Int
        var role: MachineRole
        var parent: String?
        var tags: [String]
    }

    /// Records waiting for the writer, in order. Transitions are encoded into `bytes` on
    /// the machine's thread (tag 1, time u64, length u32, payload), so no per-transition
    /// object crosses to the writer thread; the others are values in `pending`, referred
    /// to from `bytes` (tag 2, index u32). The writer swaps `bytes` with an empty buffer of
    /// the same capacity, so in a steady state nothing is allocated at all.
    private struct Queue: ~Copyable {
        var bytes: [UInt8] = []
        var pending: [Pending] = []
        var records = 0
        var droppedSinceReport: UInt64 = 0
        var writerSleeping = false
        var closing = false
        var machines: [String: Registration] = [:]
        var nextHandle: UInt32 = 0
        /// The machine of the last transition: most come in runs from one machine, and
        /// comparing an id with itself is cheaper than hashing it.
        var last: (id: String, handle: UInt32, stateCount: Int)?
    }

    static let transitionTag: UInt8 = 1
    static let pendingTag: UInt8 = 2

    public let path: String
    public let configuration: Configuration
    /// How long a busy writer waits between batches (the most a live reader lags).
    static let batchPause = Duration.milliseconds(2)
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let statusBox = Mutex(Status())
    private let writer: RecordingWriter
    private let attachments = TracerAttachments()

    /// Creates `path` (refusing an existing file unless `configuration.overwrite`) and
    /// starts the writer, which puts `header` first.
    public init(path: String, header: RecordingHeader, configuration: Configuration = .init()) throws(RecordingError) {
        self.path = path
        self.configuration = configuration
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (configuration.overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw .exists(path) }
            throw .io("cannot create the recording \(path): \(String(cString: strerror(code)))")
        }
        writer = RecordingWriter(fd: fd, path: path, checkpointInterval: max(1, configuration.checkpointInterval))
        writer.start(header: header)
        let thread = Thread { [self] in runWriter() }
        thread.name = "recorder"
        thread.start()
    }

    /// Starts recording `machine`: writes its schema record with its clock now, then every
    /// transition.
    public func record(_ machine: Machine, role: MachineRole) {
        let c = machine.configuration
        // Read before taking the queue lock: the machine's lock is never taken inside ours.
        let (schema, clock) = (machine.schema, machine.time())
        var open = false
        withQueue { q in
            guard !q.closing else { return }
            register(&q, id: machine.id, role: role, parent: c.parentId, tags: c.tags, states: schema.names, schema: schema, clock: clock)
            open = true
        }
        if open { attachments.attach(self, to: machine) }
    }

    /// Adds a pool keyframe.
    public func recordSnapshot(_ snapshot: PoolSnapshot) { enqueue(.snapshot(snapshot)) }

    /// Adds an operator action and its result.
    public func recordAction(_ action: OperatorAction, at time: UInt64? = nil) {
        enqueue(.action(action, time: time ?? wallClockNanoseconds()))
    }

    /// Adds an error that no transition carries.
    public func recordError(_ error: RecordedError, at time: UInt64? = nil) {
        enqueue(.error(error, time: time ?? wallClockNanoseconds()))
    }

    public var status: Status { statusBox.withLock { $0 } }

    /// Writes what is buffered and the end record, closes the file and detaches from the
    /// machines it was given. Blocks until done (a few milliseconds; do not call it from
    /// ``Configuration/onFailure``, which runs on the writer thread); later calls return at
    /// once. Tracer calls after it are ignored.
    public func close() {
        let first = queue.withLock { q -> Bool in
            defer { q.closing = true }
            return !q.closing
        }
        guard first else { return }
        attachments.detachAll(self)
        wake.signal()
        finished.wait()
    }

    // MARK: Tracer

    public func transitionEnd(_ transition: Transition) {
        withQueue { q in
            guard admits(&q) else { return }
            let handle: UInt32
            if let last = q.last, last.id == transition.machineId, last.stateCount == transition.stateNames.count {
                handle = last.handle
            } else {
                var registration = q.machines[transition.machineId]
                if registration == nil || registration?.stateCount != transition.stateNames.count {
                    // A machine seen only through its transitions, or one whose schema grew.
                    register(&q, id: transition.machineId, role: registration?.role ?? .other, parent: registration?.parent,
                             tags: registration?.tags ?? [], states: transition.stateNames, schema: nil, clock: nil)
                    registration = q.machines[transition.machineId]
                }
                guard let registered = registration?.handle else { return }
                handle = registered
                q.last = (transition.machineId, handle, transition.stateNames.count)
            }
            var w = ByteWriter()
            swap(&w.bytes, &q.bytes)
            w.u8(Self.transitionTag)
            w.u64(transition.endedAt)
            let lengthAt = w.bytes.count
            w.u32(0)
            TransitionCodec.encode(transition, handle: handle, into: &w)
            w.patchU32(at: lengthAt, UInt32(w.bytes.count - lengthAt - 4))
            swap(&w.bytes, &q.bytes)
            q.records += 1
        }
    }

    public func schemaChanged(_ machine: Machine, from old: Schema) {
        let (schema, c) = (machine.schema, machine.configuration)
        withQueue { q in
            guard !q.closing else { return }
            let role = q.machines[machine.id]?.role ?? .other
            register(&q, id: machine.id, role: role, parent: c.parentId, tags: c.tags, states: schema.names, schema: schema, clock: nil)
        }
    }

    // MARK: Buffer

    /// Gives `id` a handle (or keeps its own) and queues its machine record. Never
    /// dropped: the transitions after it could not be read without it.
    private func register(_ q: inout Queue, id: String, role: MachineRole, parent: String?, tags: [String],
                          states: [StateName], schema: Schema?, clock: [UInt64]?) {
        let handle = q.machines[id]?.handle ?? q.nextHandle
        if handle == q.nextHandle { q.nextHandle += 1 }
        if q.last?.id == id { q.last = nil }
        q.machines[id] = Registration(handle: handle, stateCount: states.count, role: role, parent: parent, tags: tags)
        appendPending(&q, .machine(RecordedMachine(handle: handle, id: id, role: role.name, worker: role.worker, parent: parent,
                                                   tags: tags, states: states, schema: schema, clock: clock)))
    }

    private func appendPending(_ q: inout Queue, _ item: Pending) {
        var w = ByteWriter()
        swap(&w.bytes, &q.bytes)
        w.u8(Self.pendingTag)
        w.u32(UInt32(q.pending.count))
        swap(&w.bytes, &q.bytes)
        q.pending.append(item)
        q.records += 1
    }

    /// Changes the queue under its lock, then wakes the writer if it sleeps.
    private func withQueue(_ body: (inout Queue) -> Void) {
        let signal = queue.withLock { q -> Bool in
            body(&q)
            guard q.writerSleeping, !q.bytes.isEmpty else { return false }
            q.writerSleeping = false
            return true
        }
        if signal { wake.signal() }
    }

    /// Whether the queue takes one more record; a full one counts it as dropped.
    private func admits(_ q: inout Queue) -> Bool {
        guard !q.closing else { return false }
        guard q.records < configuration.bufferCapacity else {
            q.droppedSinceReport += 1
            return false
        }
        return true
    }

    private func enqueue(_ item: Pending) {
        withQueue { q in
            if admits(&q) { appendPending(&q, item) }
        }
    }

    private func runWriter() {
        var bytes: [UInt8] = []
        var pending: [Pending] = []
        while true {
            let (dropped, closing) = queue.withLock { q -> (UInt64, Bool) in
                swap(&bytes, &q.bytes)
                swap(&pending, &q.pending)
                let taken = (q.droppedSinceReport, q.closing)
                q.records = 0
                q.droppedSinceReport = 0
                if bytes.isEmpty && !q.closing { q.writerSleeping = true }
                return taken
            }
            let idle = bytes.isEmpty
            if dropped > 0 { writer.reportDropped(dropped) }
            writer.write(bytes, pending)
            bytes.removeAll(keepingCapacity: true)
            pending.removeAll(keepingCapacity: true)
            let failureBefore = statusBox.withLock { $0.failure }
            writer.flush()
            if closing && idle {
                writer.finish()
                publish(failureBefore: failureBefore)
                statusBox.withLock { $0.closed = true }
                finished.signal()
                return
            }
            publish(failureBefore: failureBefore)
            if idle {
                _ = wake.wait(timeout: .now() + .seconds(1))
            } else {
                // While records keep coming, collect them for a moment instead of being
                // woken for each: a wake-up per transition costs the machine a syscall.
                usleep(UInt32(Self.batchPause.microsecondsCount))
            }
        }
    }

    private func publish(failureBefore: String?) {
        let now = writer.status
        statusBox.withLock { $0 = now }
        if failureBefore == nil, let failure = now.failure {
            configuration.logger.error("recording stopped: \(failure)", metadata: ["path": "\(path)"])
            configuration.onFailure?(failure)
        }
    }
}
