import AsyncMachine
import AsyncMachineNode
import Foundation

/// Turns a recording into JSON lines (`amnode replay FILE --export json`): one object per
/// record with its offset, kind, time and transition count, and the record itself.
public enum RecordingExport {
    /// Writes every record through `line`, as it reads them (a file of any size is exported
    /// in constant memory: only the machine table is kept); returns the damage found (a torn
    /// end, skipped bytes, records that do not decode), by offset.
    public static func writeJSONLines(_ reader: RecordingReader, _ line: (String) -> Void) throws -> [RecordingDamage] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Args may hold any Double; JSON has no infinity or NaN, so those become strings.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        func write(_ entry: RecordEntry, worker: String?) throws {
            line(String(decoding: try encoder.encode(ExportedRecord(entry, worker: worker)), as: UTF8.self))
        }
        if let (info, bytes, payload) = reader.frame(at: UInt64(RecordingFormat.preambleSize)),
           let header = try? RecordBody.decode(info, bytes: bytes, payload: payload, machines: [:]) {
            try write(RecordEntry(frame: info, body: header), worker: nil)
        }
        // The machines transitions need, as `RecordingReader.records()` keeps them: from
        // machine records, and replaced by each checkpoint's.
        var machines: [UInt32: RecordedMachine] = [:]
        var damage: [RecordingDamage] = []
        var scanner = FrameScanner(reader: reader, from: reader.dataStart)
        while let (info, bytes, payload) = scanner.next() {
            let body: RecordBody
            do {
                body = try RecordBody.decode(info, bytes: bytes, payload: payload, machines: machines)
                switch body {
                case .machine(let m): machines[m.handle] = m
                case .checkpoint(let c): machines = try ReplayState(c).machines
                default: break
                }
            } catch {
                damage.append(RecordingDamage(offset: info.offset, length: UInt64(info.size), isTornEnd: false, reason: error.description))
                continue
            }
            var worker: String?
            if case .transition(_, let handle) = body { worker = machines[handle]?.worker }
            try write(RecordEntry(frame: info, body: body), worker: worker)
        }
        damage.append(contentsOf: scanner.damage)
        return damage.sorted { $0.offset < $1.offset }
    }
}

/// The JSON form of one record.
private struct ExportedRecord: Encodable {
    var offset: UInt64
    var kind: String
    var time: UInt64
    var transitions: UInt64
    var body: RecordBody
    var worker: String?

    init(_ entry: RecordEntry, worker: String?) {
        offset = entry.frame.offset
        kind = entry.frame.kind?.description ?? "unknown-\(entry.frame.kindCode)"
        time = entry.frame.time
        transitions = entry.frame.transitionCount
        body = entry.body
        self.worker = worker
    }

    enum Keys: String, CodingKey { case offset, kind, time, transitions, record, machine, worker }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(offset, forKey: .offset)
        try c.encode(kind, forKey: .kind)
        try c.encode(time, forKey: .time)
        try c.encode(transitions, forKey: .transitions)
        switch body {
        case .header(let v): try c.encode(v, forKey: .record)
        case .machine(let v): try c.encode(v, forKey: .record)
        case .transition(let v, let handle):
            try c.encode(v, forKey: .record)
            try c.encode(handle, forKey: .machine)
            try c.encodeIfPresent(worker, forKey: .worker)
        case .snapshot(let v): try c.encode(v, forKey: .record)
        case .action(let v): try c.encode(v, forKey: .record)
        case .error(let v): try c.encode(v, forKey: .record)
        case .checkpoint(let v): try c.encode(v, forKey: .record)
        case .end(let v): try c.encode(v, forKey: .record)
        case .unknown: break
        }
    }
}
