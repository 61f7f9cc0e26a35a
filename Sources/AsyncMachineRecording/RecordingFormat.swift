/// The constants of the recording file format; `docs/recording.md` is its specification.
public enum RecordingFormat {
    /// The format version this build writes and the newest it reads.
    public static let version: UInt16 = 1
    /// `\x89AMREC\r\n`: the high byte and the CR LF catch files mangled as text.
    static let magic: [UInt8] = [0x89, 0x41, 0x4D, 0x52, 0x45, 0x43, 0x0D, 0x0A]
    /// Magic, format version (u16 LE) and flags (u16 LE, zero).
    static let preambleSize = 12
    /// Every frame starts with these two bytes, so a reader can find frames from any offset.
    static let sync: (UInt8, UInt8) = (0xA7, 0x3C)
    /// Sync (2), body length (u32 LE) before the body, CRC-32 of the body (u32 LE) after it.
    static let frameOverhead = 10
    /// The body's fixed part: kind (u8) and time (u64 LE).
    static let minimumBodySize = 9
    /// Larger bodies are treated as corruption (a 10,000-worker snapshot is about 4 MiB).
    static let maximumBodySize = 64 << 20
}

/// The kinds of record a recording holds, as the body's first byte.
public enum RecordKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case header = 1
    case machine = 2
    case transition = 3
    case snapshot = 4
    case action = 5
    case error = 6
    case checkpoint = 7
    case end = 8

    public var description: String {
        switch self {
        case .header: "header"
        case .machine: "machine"
        case .transition: "transition"
        case .snapshot: "snapshot"
        case .action: "action"
        case .error: "error"
        case .checkpoint: "checkpoint"
        case .end: "end"
        }
    }
}

/// One frame's envelope: where it is and the fields every record has, read without
/// decoding the payload (what seeking needs).
public struct FrameInfo: Sendable, Equatable {
    /// Byte offset of the frame's sync bytes in the file.
    public var offset: UInt64
    /// The whole frame's size in bytes.
    public var size: Int
    /// The kind byte; ``kind`` is nil for kinds this build does not know (readers skip them).
    public var kindCode: UInt8
    public var kind: RecordKind? { RecordKind(rawValue: kindCode) }
    /// Wall clock, nanoseconds since the Unix epoch; never decreases along the file.
    public var time: UInt64
    /// Transitions in the file up to and including this record.
    public var transitionCount: UInt64
    /// Bytes back from this frame to the checkpoint that precedes it (0: none).
    public var checkpointDistance: UInt64

    var end: UInt64 { offset + UInt64(size) }
    /// Where the checkpoint before this frame starts; nil for none, and for a distance that
    /// reaches back past the preamble (a damaged or crafted frame).
    var checkpointOffset: UInt64? {
        guard checkpointDistance != 0, offset >= UInt64(RecordingFormat.preambleSize),
              checkpointDistance <= offset - UInt64(RecordingFormat.preambleSize) else { return nil }
        return offset - checkpointDistance
    }
}

enum FrameCodec {
    /// Appends a whole frame to `out`; `payload` writes the kind-specific part.
    static func append(to out: inout [UInt8], kind: RecordKind, time: UInt64, transitionCount: UInt64,
                       checkpointDistance: UInt64, payload: (inout ByteWriter) -> Void) {
        var w = ByteWriter()
        swap(&w.bytes, &out)
        let frameStart = w.bytes.count
        w.u8(RecordingFormat.sync.0)
        w.u8(RecordingFormat.sync.1)
        w.u32(0)
        let bodyStart = w.bytes.count
        w.u8(kind.rawValue)
        w.u64(time)
        w.varint(transitionCount)
        w.varint(checkpointDistance)
        payload(&w)
        let bodyEnd = w.bytes.count
        w.patchU32(at: frameStart + 2, UInt32(bodyEnd - bodyStart))
        let crc = w.bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[bodyStart..<bodyEnd])) }
        w.u32(crc)
        swap(&w.bytes, &out)
    }

    enum Probe {
        /// A valid frame; `payload` is the range of the payload in the buffer.
        case frame(FrameInfo, payload: Range<Int>)
        /// The buffer ends before the frame does (`needed` bytes in all).
        case incomplete(needed: Int)
        /// Not a frame at this position.
        case invalid(String)
    }

    /// Checks for a frame at `start` of `buffer` (which holds file bytes from `base`).
    static func probe(_ buffer: [UInt8], at start: Int, base: UInt64) -> Probe {
        let available = buffer.count - start
        guard available >= 6 else {
            if available >= 1, buffer[start] != RecordingFormat.sync.0 { return .invalid("no sync bytes") }
            if available >= 2, buffer[start + 1] != RecordingFormat.sync.1 { return .invalid("no sync bytes") }
            return .incomplete(needed: 6)
        }
        guard buffer[start] == RecordingFormat.sync.0, buffer[start + 1] == RecordingFormat.sync.1 else {
            return .invalid("no sync bytes")
        }
        var length = 0
        for i in 0..<4 { length |= Int(buffer[start + 2 + i]) << (8 * i) }
        guard length >= RecordingFormat.minimumBodySize + 2, length <= RecordingFormat.maximumBodySize else {
            return .invalid("implausible length \(length)")
        }
        let size = length + RecordingFormat.frameOverhead
        guard available >= size else { return .incomplete(needed: size) }
        let bodyStart = start + 6
        let checksum = buffer.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[bodyStart..<bodyStart + length])) }
        var crcReader = ByteReader(buffer, from: bodyStart + length, to: bodyStart + length + 4)
        guard let stored = try? crcReader.u32(), stored == checksum else { return .invalid("checksum mismatch") }
        var reader = ByteReader(buffer, from: bodyStart, to: bodyStart + length)
        do {
            let kind = try reader.u8()
            let time = try reader.u64()
            let count = try reader.varint()
            let distance = try reader.varint()
            let info = FrameInfo(offset: base + UInt64(start), size: size, kindCode: kind, time: time,
                                 transitionCount: count, checkpointDistance: distance)
            return .frame(info, payload: reader.index..<(bodyStart + length))
        } catch {
            return .invalid("\(error)")
        }
    }
}
