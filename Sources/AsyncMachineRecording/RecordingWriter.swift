import AsyncMachine
import AsyncMachineNode
import Foundation
import Synchronization

/// The recorder's writer: encodes records into frames and appends them to the file.
/// Used by the recorder's writer thread only, except ``role(of:)``.
final class RecordingWriter: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    private let checkpointInterval: Int
    private var out: [UInt8] = []
    /// File offset of `out`'s first byte.
    private var offset: UInt64 = 0
    private var lastTime: UInt64 = 0
    private var lastCheckpoint: UInt64?
    private var sinceCheckpoint = 0
    private var handles: [String: UInt32] = [:]
    private var state = ReplayState()
    private var pendingDrops: UInt64 = 0
    private(set) var status = Recorder.Status()
    /// Roles by machine id, readable from any thread (for schema changes).
    private let roles = Mutex<[String: MachineRole]>([:])
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    init(fd: Int32, path: String, checkpointInterval: Int) {
        self.fd = fd
        self.path = path
        self.checkpointInterval = checkpointInterval
    }

    func role(of machineId: String) -> MachineRole { roles.withLock { $0[machineId] ?? .other } }

    /// The preamble, the header record and a first checkpoint, so every later record has
    /// a checkpoint before it.
    func start(header: RecordingHeader) {
        var preamble = ByteWriter()
        preamble.raw(RecordingFormat.magic)
        preamble.u16(RecordingFormat.version)
        preamble.u16(0)
        out.append(contentsOf: preamble.bytes)
        emitJSON(.header, time: header.startedAt, header)
        writeCheckpoint()
    }

    func write(_ item: Recorder.Pending) {
        switch item {
        case .transition(let tx): write(tx)
        case .machine(let id, let role, let parent, let tags, let schema):
            register(id: id, role: role, parent: parent, tags: tags, states: schema.names, schema: schema)
        case .snapshot(let snapshot):
            state.apply(snapshot: snapshot)
            emitJSON(.snapshot, time: snapshot.takenAt, snapshot)
        case .action(let action, let time): emitJSON(.action, time: time, action)
        case .error(let error, let time): emitJSON(.error, time: time, error)
        }
    }

    func reportDropped(_ count: UInt64) {
        status.dropped += count
        emitJSON(.error, time: lastTime, RecordedError(
            message: "the recorder dropped \(count) records: its buffer was full", source: "recorder"))
    }

    private func write(_ tx: Transition) {
        var handle = handles[tx.machineId]
        if handle == nil || state.machines[handle!]?.states.count != tx.stateNames.count {
            // A machine seen only through its transitions, or one whose schema grew.
            register(id: tx.machineId, role: role(of: tx.machineId), parent: state.machines[handle ?? 0]?.parent,
                     tags: [], states: tx.stateNames, schema: nil)
            handle = handles[tx.machineId]
        }
        guard let handle else { return }
        status.transitions += 1
        emit(.transition, time: tx.endedAt) { w in TransitionCodec.encode(tx, handle: handle, into: &w) }
        state.applyTransition(handle: handle, timeAfter: tx.timeAfter, endedAt: tx.endedAt)
        if tx.isAccepted, tx.enters.contains(where: { tx.stateNames[$0] == .exception }) {
            let role = state.machines[handle]?.machineRole
            for event in PoolEvent.events(for: TransitionRecord(tx), worker: role?.worker) where event.kind == .error {
                emitJSON(.error, time: tx.endedAt, RecordedError(
                    message: event.error ?? "", worker: event.worker, machine: tx.machineId, source: "pool"))
            }
        }
        sinceCheckpoint += 1
        if sinceCheckpoint >= checkpointInterval { writeCheckpoint() }
    }

    private func register(id: String, role: MachineRole, parent: String?, tags: [String], states: [StateName], schema: Schema?) {
        roles.withLock { $0[id] = role }
        let handle = handles[id] ?? UInt32(handles.count)
        handles[id] = handle
        let machine = RecordedMachine(handle: handle, id: id, role: role.name, worker: role.worker, parent: parent,
                                      tags: tags, states: states, schema: schema)
        state.apply(machine: machine)
        emitJSON(.machine, time: lastTime, machine)
    }

    private func writeCheckpoint() {
        let checkpoint = state.checkpoint
        let frameOffset = offset + UInt64(out.count)
        emitJSON(.checkpoint, time: lastTime, checkpoint)
        lastCheckpoint = frameOffset
        sinceCheckpoint = 0
    }

    /// Puts the end record and flushes; the file is then closed.
    func finish() {
        emitJSON(.end, time: max(lastTime, wallClockNanoseconds()), RecordingEnd(
            transitions: state.transitions, records: status.records + 1, dropped: status.dropped, failure: status.failure))
        flush()
        if fsync(fd) != 0, errno != EINVAL, status.failure == nil {
            status.failure = "cannot sync \(path): \(String(cString: strerror(errno)))"
        }
        close(fd)
    }

    // MARK: Frames

    private func emitJSON<T: Encodable>(_ kind: RecordKind, time: UInt64, _ value: T) {
        guard let json = try? encoder.encode(value) else { return }
        emit(kind, time: time) { $0.raw(json) }
    }

    private func emit(_ kind: RecordKind, time: UInt64, payload: (inout ByteWriter) -> Void) {
        guard status.failure == nil else {
            status.dropped += 1
            return
        }
        // Times never decrease along the file: readers binary-search on them.
        lastTime = max(lastTime, time)
        let frameOffset = offset + UInt64(out.count)
        let distance = lastCheckpoint.map { frameOffset - $0 } ?? 0
        FrameCodec.append(to: &out, kind: kind, time: lastTime, transitionCount: state.transitions + (kind == .transition ? 1 : 0),
                          checkpointDistance: distance, payload: payload)
        status.records += 1
        if out.count >= 1 << 20 { flush() }
    }

    /// Appends the buffered frames to the file.
    func flush() {
        guard !out.isEmpty else { return }
        defer {
            offset += UInt64(out.count)
            out.removeAll(keepingCapacity: true)
        }
        guard status.failure == nil else { return }
        var written = 0
        while written < out.count {
            let n = out.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                status.failure = "cannot write \(path): \(String(cString: strerror(errno)))"
                return
            }
            written += n
        }
        status.bytes = offset + UInt64(out.count)
    }
}
