import AsyncMachine
import AsyncMachineNode
import Foundation

/// Turns a recording into JSON lines (`amnode replay FILE --export json`): one object per
/// record with its offset, kind, time and transition count, and the record itself.
public enum RecordingExport {
    /// Writes every record through `line`; returns the damage found (a torn end).
    public static func writeJSONLines(_ reader: RecordingReader, _ line: (String) -> Void) throws -> [RecordingDamage] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Args may hold any Double; JSON has no infinity or NaN, so those become strings.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let (records, damage) = reader.records()
        var machines: [UInt32: RecordedMachine] = [:]
        for entry in records {
            if case .machine(let m) = entry.body { machines[m.handle] = m }
            let object = ExportedRecord(entry, worker: {
                if case .transition(_, let handle) = entry.body { return machines[handle]?.worker }
                return nil
            }())
            line(String(decoding: try encoder.encode(object), as: UTF8.self))
        }
        return damage
    }

    /// One event as a log line: time, who, what.
    public static func describe(_ event: PoolEvent) -> String {
        let time = Date(timeIntervalSince1970: Double(event.time) / 1e9)
        let clock = time.formatted(.iso8601.time(includingFractionalSeconds: true))
        let who = event.worker ?? "supervisor"
        switch event.kind {
        case .transition:
            guard let t = event.transition else { return "\(clock) \(who)" }
            var changes = t.entered.map { "+\($0.rawValue)" } + t.exited.map { "-\($0.rawValue)" }
            if changes.isEmpty { changes = ["(no change)"] }
            let called = t.called.map(\.rawValue).joined(separator: " ")
            return "\(clock) \(who) [\(t.type.rawValue)] \(called) -> \(t.accepted ? changes.joined(separator: " ") : t.result)"
        case .action:
            guard let a = event.action else { return "\(clock) action" }
            return "\(clock) \(a.origin) \(a.name.rawValue)\(a.target.map { " " + $0 } ?? "") -> \(a.ok ? "ok" : "refused"): \(a.result)"
        case .error:
            return "\(clock) \(who) ERROR \(event.error ?? "")"
        }
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
