import AsyncMachine

/// The compact binary payload of transition records (see docs/recording.md §4): state
/// indexes and ticks as varints, the clock after in full, the clock before as the entries
/// that differ.
enum TransitionCodec {
    static func encode(_ tx: Transition, handle: UInt32, into w: inout ByteWriter) {
        w.varint(UInt64(handle))
        w.varint(tx.id)
        var flags: UInt8
        switch tx.type {
        case .add: flags = 0
        case .remove: flags = 1
        case .set: flags = 2
        }
        if tx.isAccepted { flags |= 4 }
        if tx.isAuto { flags |= 8 }
        if tx.isCheck { flags |= 16 }
        w.u8(flags)
        switch tx.result {
        case .executed?: w.u8(0)
        case .canceled?: w.u8(1)
        case let other:
            w.u8(2)
            w.string(other.map { "\($0)" } ?? "unfinished")
        }
        w.varint(tx.endedAt >= tx.startedAt ? tx.endedAt - tx.startedAt : 0)
        let called = tx.mutation.called
        w.varint(called.count)
        for index in called { w.varint(index) }
        w.varint(tx.enters.count)
        for index in tx.enters { w.varint(index) }
        w.varint(tx.exits.count)
        for index in tx.exits { w.varint(index) }
        encode(tx.args, into: &w)
        let after = tx.timeAfter
        let before = tx.timeBefore
        w.varint(after.count)
        for tick in after { w.varint(tick) }
        var changed = 0
        for i in after.indices where i >= before.count || before[i] != after[i] { changed += 1 }
        w.varint(changed)
        for i in after.indices where i >= before.count || before[i] != after[i] {
            w.varint(i)
            w.varint(i < before.count ? before[i] : 0)
        }
    }

    /// The handle of the machine, read first so the caller can find its state names.
    static func handle(_ r: inout ByteReader) throws(RecordingError) -> UInt32 {
        let v = try r.varint()
        guard v <= UInt64(UInt32.max) else { throw .malformed("machine handle \(v)") }
        return UInt32(v)
    }

    /// Whether a transition (read after its handle) was accepted and entered the state at
    /// `index`, without decoding the rest: the writer's fast path for machines whose
    /// transitions change nothing in the pool.
    static func accepted(_ r: ByteReader, entering index: Int?) throws(RecordingError) -> Bool {
        var r = r
        _ = try r.varint()
        let flags = try r.u8()
        guard flags & 4 != 0, let index else { return false }
        if try r.u8() == 2 { _ = try r.string() }
        _ = try r.varint()
        for _ in 0..<(try r.count(limit: 4096)) { _ = try r.varint() }
        for _ in 0..<(try r.count(limit: 4096)) where try r.count() == index { return true }
        return false
    }

    static func decode(_ r: inout ByteReader, machineId: String, names: [StateName], endedAt: UInt64) throws(RecordingError) -> TransitionRecord {
        let id = try r.varint()
        let flags = try r.u8()
        let type: MutationType
        switch flags & 3 {
        case 0: type = .add
        case 1: type = .remove
        case 2: type = .set
        default: throw .malformed("mutation type \(flags & 3)")
        }
        let result: String
        switch try r.u8() {
        case 0: result = "executed"
        case 1: result = "canceled"
        case 2: result = try r.string()
        case let code: throw .malformed("result code \(code)")
        }
        let duration = try r.varint()
        func name(_ index: Int) throws(RecordingError) -> StateName {
            guard index < names.count else { throw .malformed("state index \(index) of \(names.count) states in \(machineId)") }
            return names[index]
        }
        var called: [StateName] = []
        for _ in 0..<(try r.count(limit: 4096)) { called.append(try name(try r.count())) }
        var entered: [StateName] = []
        for _ in 0..<(try r.count(limit: 4096)) { entered.append(try name(try r.count())) }
        var exited: [StateName] = []
        for _ in 0..<(try r.count(limit: 4096)) { exited.append(try name(try r.count())) }
        let args = try decodeArgs(&r)
        let n = try r.count(limit: 4096)
        guard n == names.count else { throw .malformed("clock of \(n) ticks for \(names.count) states in \(machineId)") }
        var after = [UInt64](repeating: 0, count: n)
        for i in 0..<n { after[i] = try r.varint() }
        var before = after
        for _ in 0..<(try r.count(limit: n)) {
            let i = try r.count()
            guard i < n else { throw .malformed("clock index \(i) of \(n)") }
            before[i] = try r.varint()
        }
        return TransitionRecord(
            machineId: machineId, id: id, type: type, called: called, args: args, isAuto: flags & 8 != 0,
            isCheck: flags & 16 != 0, accepted: flags & 4 != 0, result: result, entered: entered, exited: exited,
            timeBefore: before, timeAfter: after, startedAt: endedAt >= duration ? endedAt - duration : 0, endedAt: endedAt)
    }

    // MARK: Args

    static func encode(_ args: Args, into w: inout ByteWriter) {
        guard !args.isEmpty else { return w.varint(0) }
        let pairs = args.values.sorted { $0.key < $1.key }
        w.varint(pairs.count)
        for (key, value) in pairs {
            w.string(key)
            encode(value, into: &w)
        }
    }

    private static func encode(_ value: ArgValue, into w: inout ByteWriter) {
        switch value {
        case .null: w.u8(0)
        case .string(let s): w.u8(1); w.string(s)
        case .int(let i): w.u8(2); w.signed(Int64(i))
        case .double(let d): w.u8(3); w.u64(d.bitPattern)
        case .bool(let b): w.u8(b ? 5 : 4)
        case .bytes(let b): w.u8(6); w.varint(b.count); w.raw(b)
        case .list(let l):
            w.u8(7)
            w.varint(l.count)
            for v in l { encode(v, into: &w) }
        case .map(let m):
            w.u8(8)
            w.varint(m.count)
            for (k, v) in m.sorted(by: { $0.key < $1.key }) {
                w.string(k)
                encode(v, into: &w)
            }
        }
    }

    static func decodeArgs(_ r: inout ByteReader) throws(RecordingError) -> Args {
        var args = Args()
        for _ in 0..<(try r.count(limit: 1 << 16)) {
            let key = try r.string()
            args[key] = try decodeValue(&r, depth: 0)
        }
        return args
    }

    private static func decodeValue(_ r: inout ByteReader, depth: Int) throws(RecordingError) -> ArgValue {
        guard depth < 32 else { throw .malformed("args nested deeper than 32") }
        switch try r.u8() {
        case 0: return .null
        case 1: return .string(try r.string())
        case 2: return .int(Int(truncatingIfNeeded: try r.signed()))
        case 3: return .double(Double(bitPattern: try r.u64()))
        case 4: return .bool(false)
        case 5: return .bool(true)
        case 6: return .bytes(Array(try r.raw(try r.count())))
        case 7:
            var list: [ArgValue] = []
            for _ in 0..<(try r.count(limit: 1 << 20)) { list.append(try decodeValue(&r, depth: depth + 1)) }
            return .list(list)
        case 8:
            var map: [String: ArgValue] = [:]
            for _ in 0..<(try r.count(limit: 1 << 20)) {
                let k = try r.string()
                map[k] = try decodeValue(&r, depth: depth + 1)
            }
            return .map(map)
        case let tag: throw .malformed("arg value tag \(tag)")
        }
    }
}
