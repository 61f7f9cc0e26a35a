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

    enum Pending: Sendable {
        case transition(Transition)
        case machine(id: String, role: MachineRole, parent: String?, tags: [String], schema: Schema)
        case snapshot(PoolSnapshot)
        case action(OperatorAction, time: UInt64)
        case error(RecordedError, time: UInt64)
    }

    private struct Queue: ~Copyable {
        var items = Deque<Pending>()
        var droppedSinceReport: UInt64 = 0
        var writerSleeping = false
        var closing = false
    }

    public let path: String
    public let configuration: Configuration
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let statusBox = Mutex(Status())
    private let writer: RecordingWriter

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

    /// Starts recording `machine`: writes its schema record, then every transition.
    public func record(_ machine: Machine, role: MachineRole) {
        let c = machine.configuration
        enqueue(.machine(id: machine.id, role: role, parent: c.parentId, tags: c.tags, schema: machine.schema))
        machine.attach(self)
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

    /// Writes what is buffered and the end record, and closes the file. Blocks until done;
    /// later calls return at once. Tracer calls after it are ignored.
    public func close() {
        let first = queue.withLock { q -> Bool in
            defer { q.closing = true }
            return !q.closing
        }
        guard first else { return }
        wake.signal()
        finished.wait()
    }

    // MARK: Tracer

    public func transitionEnd(_ transition: Transition) { enqueue(.transition(transition)) }

    public func schemaChanged(_ machine: Machine, from old: Schema) {
        // The writer notices the longer clock and writes the machine again; this gives it the relations.
        enqueue(.machine(id: machine.id, role: writer.role(of: machine.id), parent: machine.configuration.parentId,
                         tags: machine.configuration.tags, schema: machine.schema))
    }

    // MARK: Buffer

    private func enqueue(_ item: Pending) {
        let signal = queue.withLock { q -> Bool in
            guard !q.closing else { return false }
            guard q.items.count < configuration.bufferCapacity else {
                q.droppedSinceReport += 1
                return false
            }
            q.items.append(item)
            guard q.writerSleeping else { return false }
            q.writerSleeping = false
            return true
        }
        if signal { wake.signal() }
    }

    private func runWriter() {
        while true {
            let (items, dropped, closing) = queue.withLock { q -> (Deque<Pending>, UInt64, Bool) in
                let taken = (q.items, q.droppedSinceReport, q.closing)
                q.items = []
                q.droppedSinceReport = 0
                if taken.0.isEmpty && !q.closing { q.writerSleeping = true }
                return taken
            }
            if dropped > 0 { writer.reportDropped(dropped) }
            for item in items { writer.write(item) }
            let failureBefore = statusBox.withLock { $0.failure }
            writer.flush()
            if closing && items.isEmpty {
                writer.finish()
                publish(failureBefore: failureBefore)
                statusBox.withLock { $0.closed = true }
                finished.signal()
                return
            }
            publish(failureBefore: failureBefore)
            if items.isEmpty { _ = wake.wait(timeout: .now() + .seconds(1)) }
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
