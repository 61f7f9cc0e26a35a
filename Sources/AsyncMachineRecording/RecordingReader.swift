import AsyncMachine
import AsyncMachineNode
import Foundation

/// Reads a recording: its header, its frames in order (up to a torn end), and any frame
/// found by transition number or time without reading the whole file.
///
/// The file may still be growing (a live recording): ``refresh()`` picks up what was
/// appended. A reader is not thread-safe; give each thread its own.
public final class RecordingReader {
    public let path: String
    public let header: RecordingHeader
    /// Bytes in the file when it was opened or last refreshed.
    public private(set) var fileSize: UInt64
    /// Offset of the first frame after the header.
    public let dataStart: UInt64
    private let fd: Int32

    /// Opens `path`, checks the magic and the version, and reads the header record.
    public init(path: String) throws(RecordingError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open the recording \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        let statResult = fstat(fd, &st)
        let statError = errno
        fileSize = UInt64(max(0, st.st_size))
        let fd = self.fd
        func fail(_ error: RecordingError) -> RecordingError {
            close(fd)
            return error
        }
        guard statResult == 0 else { throw fail(.io("cannot read the recording \(path): \(String(cString: strerror(statError)))")) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw fail(.io("\(path) is a directory, not a recording"))
        default: throw fail(.io("\(path) is not a regular file, so not a recording"))
        }
        guard fileSize > 0 else {
            throw fail(.truncatedHeader("\(path) is empty (0 bytes): nothing was written to it yet"))
        }
        let preamble = Self.read(fd, at: 0, count: RecordingFormat.preambleSize)
        guard preamble.count >= RecordingFormat.magic.count, Array(preamble.prefix(RecordingFormat.magic.count)) == RecordingFormat.magic else {
            if preamble.count < RecordingFormat.magic.count, preamble == Array(RecordingFormat.magic.prefix(preamble.count)) {
                throw fail(.truncatedHeader("the file has only \(preamble.count) bytes"))
            }
            throw fail(.notARecording(path))
        }
        guard preamble.count == RecordingFormat.preambleSize else {
            throw fail(.truncatedHeader("the file has only \(preamble.count) bytes"))
        }
        let version = UInt16(preamble[8]) | UInt16(preamble[9]) << 8
        guard version <= RecordingFormat.version else {
            throw fail(.newerVersion(found: version, supported: RecordingFormat.version))
        }
        let start = UInt64(RecordingFormat.preambleSize)
        let window = Self.read(fd, at: start, count: 1 << 16)
        var probe = FrameCodec.probe(window, at: 0, base: start)
        if case .incomplete(let needed) = probe, needed > window.count {
            probe = FrameCodec.probe(Self.read(fd, at: start, count: needed), at: 0, base: start)
        }
        guard case .frame(let info, let payload) = probe, info.kind == .header else {
            if case .incomplete = probe { throw fail(.truncatedHeader("the header record is cut at byte \(fileSize)")) }
            throw fail(.malformed("the first record is not a valid header"))
        }
        let bytes = window.count >= Int(info.size) ? window : Self.read(fd, at: start, count: info.size)
        let header: RecordingHeader
        do {
            header = try JSONDecoder().decode(RecordingHeader.self, from: Data(bytes[payload]))
        } catch {
            throw fail(.malformed("the header record does not decode: \(error)"))
        }
        guard header.formatVersion <= RecordingFormat.version else {
            throw fail(.newerVersion(found: header.formatVersion, supported: RecordingFormat.version))
        }
        self.header = header
        dataStart = info.end
    }

    deinit { close(fd) }

    /// Looks at the file again for records appended since (live tail).
    public func refresh() {
        var st = stat()
        if fstat(fd, &st) == 0 { fileSize = UInt64(max(0, st.st_size)) }
    }

    // MARK: Raw reads

    func read(at offset: UInt64, count: Int) -> [UInt8] { Self.read(fd, at: offset, count: count) }

    private static func read(_ fd: Int32, at offset: UInt64, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        if filled < count { buffer.removeLast(count - filled) }
        return buffer
    }

    /// The frame starting exactly at `offset`, with its bytes.
    func frame(at offset: UInt64) -> (FrameInfo, bytes: [UInt8], payload: Range<Int>)? {
        var bytes = read(at: offset, count: 4096)
        var probe = FrameCodec.probe(bytes, at: 0, base: offset)
        if case .incomplete(let needed) = probe, needed > bytes.count, offset + UInt64(needed) <= fileSize {
            bytes = read(at: offset, count: needed)
            probe = FrameCodec.probe(bytes, at: 0, base: offset)
        }
        guard case .frame(let info, let payload) = probe else { return nil }
        return (info, bytes, payload)
    }

    /// The first valid frame starting at or after `offset` and before `limit`.
    func frame(atOrAfter offset: UInt64, before limit: UInt64) -> FrameInfo? {
        var position = max(offset, dataStart)
        // Most frames are under 100 bytes: start small, so a bisection reads little.
        var window = 1 << 12
        while position < min(limit, fileSize) {
            let bytes = read(at: position, count: window)
            window = min(window * 4, 1 << 18)
            guard !bytes.isEmpty else { return nil }
            var i = 0
            while i < bytes.count, position + UInt64(i) < limit {
                if bytes[i] == RecordingFormat.sync.0 {
                    switch FrameCodec.probe(bytes, at: i, base: position) {
                    case .frame(let info, _): return info
                    case .incomplete:
                        // The frame runs past this window: check it on its own.
                        if let (info, _, _) = frame(at: position + UInt64(i)) { return info }
                    case .invalid: break
                    }
                }
                i += 1
            }
            position += UInt64(bytes.count)
        }
        return nil
    }

    /// The first frame (in file order) whose `key` is at least `target`, found by bisecting
    /// byte offsets: about log2(file size / 64 KiB) small reads. Keys must not decrease
    /// along the file (transition counts and times never do).
    func firstFrame(where key: (FrameInfo) -> UInt64, atLeast target: UInt64) -> FrameInfo? {
        var lo = dataStart
        var hi = fileSize
        var candidate: FrameInfo?
        while hi > lo, hi - lo > 1 << 16 {
            let mid = lo + (hi - lo) / 2
            guard let f = frame(atOrAfter: mid, before: hi) else {
                hi = mid
                continue
            }
            if key(f) >= target {
                candidate = f
                hi = mid
            } else {
                lo = f.end
            }
        }
        var position = lo
        while position < hi, let f = frame(atOrAfter: position, before: hi) {
            if key(f) >= target { return f }
            position = f.end
        }
        return candidate
    }

    /// The cut last record of a file whose writer stopped mid-record (or that is being
    /// written right now), found without reading the whole file; nil when the file ends on
    /// a whole record.
    public func tornEnd() -> RecordingDamage? {
        let end = lastFrame()?.end ?? dataStart
        guard end < fileSize else { return nil }
        return RecordingDamage(offset: end, length: fileSize - end, isTornEnd: true,
                               reason: "\(fileSize - end) bytes after the last complete record")
    }

    /// The last complete frame of the file.
    func lastFrame() -> FrameInfo? {
        var back: UInt64 = 1 << 16
        while true {
            let start = fileSize > back ? fileSize - back : dataStart
            var last: FrameInfo?
            var position = start
            while let f = frame(atOrAfter: position, before: fileSize) {
                last = f
                position = f.end
            }
            if last != nil || start <= dataStart { return last }
            back *= 4
        }
    }
}
