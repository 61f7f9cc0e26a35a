/// Appends the primitive values of the recording format to a byte buffer: little-endian
/// fixed-width integers, LEB128 varints and length-prefixed UTF-8 strings.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }

    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(shift)) & 0xFF)) }
    }

    mutating func u64(_ v: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((v >> UInt64(shift)) & 0xFF)) }
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func varint(_ value: Int) { varint(UInt64(max(0, value))) }

    /// Zigzag, so small negative numbers stay small.
    mutating func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    /// Overwrites four bytes at `index` (a length written after what it measures).
    mutating func patchU32(at index: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[index + i] = UInt8((v >> UInt32(8 * i)) & 0xFF) }
    }
}

/// Reads what ``ByteWriter`` wrote; every read checks the bounds and throws
/// ``RecordingError/malformed(_:)`` instead of trapping on bad input.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var index: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.index = start
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool { index >= end }
    var remaining: Int { end - index }

    private mutating func need(_ n: Int) throws(RecordingError) {
        guard n >= 0, end - index >= n else { throw .malformed("record ends early (needs \(n) bytes, \(end - index) left)") }
    }

    mutating func u8() throws(RecordingError) -> UInt8 {
        try need(1)
        defer { index += 1 }
        return bytes[index]
    }

    mutating func u16() throws(RecordingError) -> UInt16 {
        try need(2)
        defer { index += 2 }
        return UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
    }

    mutating func u32() throws(RecordingError) -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[index + i]) << UInt32(8 * i) }
        index += 4
        return v
    }

    mutating func u64() throws(RecordingError) -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[index + i]) << UInt64(8 * i) }
        index += 8
        return v
    }

    mutating func varint() throws(RecordingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8()
            guard shift < 64 else { throw .malformed("varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A varint that must fit an `Int` no larger than `limit` (counts and indexes).
    mutating func count(limit: Int = 1 << 24) throws(RecordingError) -> Int {
        let v = try varint()
        guard v <= UInt64(limit) else { throw .malformed("count \(v) over the limit \(limit)") }
        return Int(v)
    }

    mutating func signed() throws(RecordingError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func string() throws(RecordingError) -> String {
        let n = try count()
        try need(n)
        defer { index += n }
        return String(decoding: bytes[index..<index + n], as: UTF8.self)
    }

    mutating func skip(_ n: Int) throws(RecordingError) {
        try need(n)
        index += n
    }

    mutating func raw(_ n: Int) throws(RecordingError) -> ArraySlice<UInt8> {
        try need(n)
        defer { index += n }
        return bytes[index..<index + n]
    }
}
