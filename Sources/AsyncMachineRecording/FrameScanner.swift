/// Something a reader found wrong in a recording, and where.
public struct RecordingDamage: Sendable, Equatable, CustomStringConvertible {
    public var offset: UInt64
    public var length: UInt64
    /// True for a record cut by the end of the file (the writer stopped mid-record); false
    /// for bytes in the middle that are not a valid record (they were skipped).
    public var isTornEnd: Bool
    public var reason: String

    public var description: String {
        isTornEnd
            ? "the last record is cut at byte \(offset + length): \(length) bytes from offset \(offset) are an incomplete record (\(reason)); everything before is intact"
            : "skipped \(length) damaged bytes at offset \(offset) (\(reason))"
    }
}

/// Reads frames in file order from an offset, in large chunks. Stops at the end of the
/// file; a damaged stretch in the middle is skipped and reported, and a cut last record
/// is reported as the torn end (or, when following a live file, waited for).
struct FrameScanner {
    private let reader: RecordingReader
    private var buffer: [UInt8] = []
    /// File offset of `buffer[0]`.
    private var base: UInt64
    private var index = 0
    private(set) var damage: [RecordingDamage] = []
    private let chunk = 1 << 18

    init(reader: RecordingReader, from offset: UInt64) {
        self.reader = reader
        base = max(offset, reader.dataStart)
    }

    /// Where the next frame would start.
    var offset: UInt64 { base + UInt64(index) }

    /// The next frame and the buffer holding it, or nil at the end of the file.
    /// `final`: whether a cut record at the end is final (torn) or may still be written.
    mutating func next(final: Bool = true) -> (FrameInfo, bytes: [UInt8], payload: Range<Int>)? {
        var skippedFrom: UInt64?
        var skipReason = ""
        while true {
            if index >= buffer.count, !fill() { break }
            switch FrameCodec.probe(buffer, at: index, base: base) {
            case .frame(let info, let payload):
                if let from = skippedFrom {
                    damage.append(RecordingDamage(offset: from, length: info.offset - from, isTornEnd: false, reason: skipReason))
                }
                index += info.size
                return (info, buffer, payload)
            case .incomplete(let needed):
                if fill(atLeast: needed) { continue }
                if skippedFrom == nil {
                    // A frame that runs past the end is the torn end only when no valid frame
                    // follows it: a damaged length in the middle claims bytes it does not have.
                    if final, let next = nextFrame(after: index) {
                        skippedFrom = offset
                        skipReason = "its length claims \(needed) bytes, past the end of the file"
                        index = next
                        continue
                    }
                    if final {
                        let remaining = reader.fileSize.subtractingSaturated(offset)
                        damage.append(RecordingDamage(offset: offset, length: remaining, isTornEnd: true,
                                                      reason: "\(remaining) of \(needed) bytes present"))
                    }
                    // `offset` stays at the cut frame: a follower resumes there once it is whole.
                    return nil
                }
                // Inside a damaged stretch: keep looking past this false start.
                index += 1
            case .invalid(let reason):
                if skippedFrom == nil {
                    skippedFrom = offset
                    skipReason = reason
                }
                index += 1
            }
        }
        if let from = skippedFrom {
            let length = reader.fileSize.subtractingSaturated(from)
            damage.append(RecordingDamage(offset: from, length: length, isTornEnd: true, reason: skipReason))
            index = buffer.count
        }
        return nil
    }

    /// Index in `buffer` of the first valid frame after `position`, among the bytes read.
    private func nextFrame(after position: Int) -> Int? {
        var i = position + 1
        while i < buffer.count {
            if buffer[i] == RecordingFormat.sync.0, case .frame = FrameCodec.probe(buffer, at: i, base: base) { return i }
            i += 1
        }
        return nil
    }

    /// Makes at least `count` bytes from the current offset available; false at the end
    /// (the file's size as of the reader's last look: bytes appended since are not read).
    private mutating func fill(atLeast count: Int = 1) -> Bool {
        let available = buffer.count - index
        guard available < count else { return true }
        let start = offset
        let from = start + UInt64(available)
        guard from < reader.fileSize else { return false }
        let more = reader.read(at: from, count: Int(min(UInt64(max(chunk, count - available)), reader.fileSize - from)))
        guard !more.isEmpty else { return false }
        buffer = Array(buffer[index...]) + more
        base = start
        index = 0
        return buffer.count >= count
    }
}

extension UInt64 {
    /// `self - other`, or 0 when `other` is larger.
    func subtractingSaturated(_ other: UInt64) -> UInt64 { self > other ? self - other : 0 }
}
