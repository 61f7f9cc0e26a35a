import AsyncMachine
import AsyncMachineNode
import Foundation

extension RecordBody {
    /// Decodes a frame's payload. Transitions need their machine's state names, from
    /// `machines` (the machine records read before them).
    static func decode(_ info: FrameInfo, bytes: [UInt8], payload: Range<Int>,
                       machines: [UInt32: RecordedMachine]) throws(RecordingError) -> RecordBody {
        guard let kind = info.kind else { return .unknown(info.kindCode) }
        func json<T: Decodable>(_ type: T.Type) throws(RecordingError) -> T {
            do {
                return try JSONDecoder().decode(type, from: Data(bytes[payload]))
            } catch {
                throw .malformed("\(kind) record at offset \(info.offset): \(error)")
            }
        }
        switch kind {
        case .header: return .header(try json(RecordingHeader.self))
        case .machine: return .machine(try json(RecordedMachine.self))
        case .snapshot: return .snapshot(try json(PoolSnapshot.self))
        case .action: return .action(try json(OperatorAction.self))
        case .error: return .error(try json(RecordedError.self))
        case .checkpoint: return .checkpoint(try json(ReplayCheckpoint.self))
        case .end: return .end(try json(RecordingEnd.self))
        case .transition:
            var r = ByteReader(bytes, from: payload.lowerBound, to: payload.upperBound)
            let handle = try TransitionCodec.handle(&r)
            guard let machine = machines[handle] else {
                throw .malformed("transition at offset \(info.offset) of machine \(handle), which no earlier record names")
            }
            let record = try TransitionCodec.decode(&r, machineId: machine.id, names: machine.states, endedAt: info.time)
            return .transition(record, handle: handle)
        }
    }
}

extension ReplayState {
    /// Applies a decoded record (what a reader does for every record it passes).
    mutating func apply(_ body: RecordBody) throws(RecordingError) {
        switch body {
        case .machine(let m): apply(machine: m)
        case .snapshot(let s): apply(snapshot: s)
        case .transition(let record, let handle):
            applyTransition(handle: handle, accepted: record.accepted && !record.isCheck, timeAfter: record.timeAfter,
                            endedAt: record.endedAt) { (record.entered, record.args) }
        case .checkpoint(let c): self = try ReplayState(c)
        case .header, .action, .error, .end, .unknown: break
        }
    }

    /// The event-log line a record stands for, as the live feed would show it.
    func event(for body: RecordBody, time: UInt64) -> PoolEvent? {
        switch body {
        case .transition(let record, let handle):
            return .transition(record, worker: machines[handle]?.worker)
        case .action(let action):
            return .action(action, at: time)
        case .error(let error):
            return PoolEvent(kind: .error, time: time, worker: error.worker, error: error.message)
        default:
            return nil
        }
    }
}

extension RecordingReader {
    /// Every record from `offset` (default: the start) to the end, decoded, with the
    /// damage found on the way (a torn last record, skipped bytes).
    public func records(from offset: UInt64? = nil) -> (records: [RecordEntry], damage: [RecordingDamage]) {
        var scanner = FrameScanner(reader: self, from: offset ?? dataStart)
        var state = ReplayState()
        var records: [RecordEntry] = []
        var damage: [RecordingDamage] = []
        if offset == nil, let (info, bytes, payload) = frame(at: UInt64(RecordingFormat.preambleSize)),
           let header = try? RecordBody.decode(info, bytes: bytes, payload: payload, machines: [:]) {
            records.append(RecordEntry(frame: info, body: header))
        }
        while let (info, bytes, payload) = scanner.next() {
            do {
                let body = try RecordBody.decode(info, bytes: bytes, payload: payload, machines: state.machines)
                try state.apply(body)
                records.append(RecordEntry(frame: info, body: body))
            } catch {
                damage.append(RecordingDamage(offset: info.offset, length: UInt64(info.size), isTornEnd: false, reason: error.description))
            }
        }
        damage.append(contentsOf: scanner.damage)
        return (records, damage.sorted { $0.offset < $1.offset })
    }
}
