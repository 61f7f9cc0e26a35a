import AsyncMachine
import AsyncMachineNode
import Foundation

/// The recorder's writer: encodes records into frames and appends them to the file.
/// Used by the recorder's writer thread only.
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
    private var state = ReplayState()
    /// Where each machine keeps Exception, looked up once per machine record rather than
    /// once per transition.
    private var exceptionIndex: [UInt32: Int] = [:]
    private(set) var status = Recorder.Status()
    /// Encodes a JSON record's payload (replaceable by tests, to make it fail).
    var encode: (any Encodable) throws -> Data = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return { value in try e.encode(value) }
    }()

    init(fd: Int32, path: String, checkpointInterval: Int) {
        self.fd = fd
        self.path = path
        self.checkpointInterval = checkpointInterval
    }

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

    /// Writes a batch the recorder's producers queued: encoded transitions and pending
    /// values, in order (see ``Recorder``'s queue).
    func write(_ bytes: [UInt8], _ pending: [Recorder.Pending]) {
        var r = ByteReader(bytes)
        do {
            while !r.isAtEnd {
                switch try r.u8() {
                case Recorder.transitionTag:
                    let time = try r.u64()
                    let length = Int(try r.u32())
                    let start = r.index
                    try r.skip(length)
                    writeTransition(bytes, start..<start + length, time: time)
                case Recorder.pendingTag:
                    let index = Int(try r.u32())
                    if index < pending.count { write(pending[index]) }
                case let tag:
                    throw RecordingError.malformed("queue tag \(tag)")
                }
            }
        } catch {
            // Only this process writes the queue; a bad entry is a bug, reported in the file.
            emitJSON(.error, time: lastTime, RecordedError(message: "the recorder skipped a bad queue entry: \(error)", source: "recorder"))
        }
    }

    private func write(_ item: Recorder.Pending) {
        switch item {
        case .machine(let machine):
            state.apply(machine: machine)
            exceptionIndex[machine.handle] = machine.states.firstIndex(of: .exception)
            emitJSON(.machine, time: lastTime, machine)
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

    /// A transition the machine's thread encoded: decoded here (off the machine's thread)
    /// for the replay state and the error records, and written as it is.
    private func writeTransition(_ bytes: [UInt8], _ payload: Range<Int>, time: UInt64) {
        var r = ByteReader(bytes, from: payload.lowerBound, to: payload.upperBound)
        guard let handle = try? TransitionCodec.handle(&r), let machine = state.machines[handle] else {
            emitJSON(.error, time: lastTime, RecordedError(message: "the recorder skipped a transition of an unknown machine", source: "recorder"))
            return
        }
        // Only pool machines' transitions and errors need reading back; the rest are copied.
        let raisesError = (try? TransitionCodec.accepted(r, entering: exceptionIndex[handle])) ?? false
        var record: TransitionRecord?
        if raisesError || machine.machineRole != .other {
            record = try? TransitionCodec.decode(&r, machineId: machine.id, names: machine.states, endedAt: time)
            if record == nil {
                emitJSON(.error, time: lastTime, RecordedError(message: "the recorder skipped a transition it could not read back", source: "recorder"))
                return
            }
        }
        // Once the disk failed, `emit` drops the record and counts it in `dropped` instead.
        if status.failure == nil { status.transitions += 1 }
        emit(.transition, time: time) { $0.raw(bytes[payload]) }
        // Readers only know the frame's time (raised to the last record's when a record written
        // earlier is later): the state, and so the checkpoints, must use that time too.
        if let record {
            state.applyTransition(handle: handle, accepted: record.accepted && !record.isCheck, timeAfter: record.timeAfter,
                                  endedAt: lastTime) { (record.entered, record.args) }
        } else {
            state.countTransition()
        }
        if raisesError, let record {
            for event in PoolEvent.events(for: record, worker: machine.worker) where event.kind == .error {
                emitJSON(.error, time: time, RecordedError(
                    message: event.error ?? "", worker: event.worker, machine: machine.id, source: "pool"))
            }
        }
        sinceCheckpoint += 1
        if sinceCheckpoint >= checkpointInterval { writeCheckpoint() }
    }

    private func writeCheckpoint() {
        let checkpoint = state.checkpoint
        let frameOffset = offset + UInt64(out.count)
        // Later frames point back to it only if it is in the file.
        if emitJSON(.checkpoint, time: lastTime, checkpoint) { lastCheckpoint = frameOffset }
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

    /// Appends a JSON record; false when it was dropped (it does not encode, or the disk failed).
    @discardableResult
    private func emitJSON<T: Encodable>(_ kind: RecordKind, time: UInt64, _ value: T) -> Bool {
        guard let json = try? encode(value) else {
            status.dropped += 1
            return false
        }
        return emit(kind, time: time) { $0.raw(json) }
    }

    /// Appends a frame; false when it was dropped because the disk failed.
    @discardableResult
    private func emit(_ kind: RecordKind, time: UInt64, payload: (inout ByteWriter) -> Void) -> Bool {
        guard status.failure == nil else {
            status.dropped += 1
            return false
        }
        // Times never decrease along the file: readers binary-search on them.
        lastTime = max(lastTime, time)
        let frameOffset = offset + UInt64(out.count)
        let distance = lastCheckpoint.map { frameOffset - $0 } ?? 0
        FrameCodec.append(to: &out, kind: kind, time: lastTime, transitionCount: state.transitions + (kind == .transition ? 1 : 0),
                          checkpointDistance: distance, payload: payload)
        status.records += 1
        if out.count >= 1 << 20 { flush() }
        return true
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
