import AsyncMachine
import AsyncMachineRecording
import Foundation
import Testing

/// Files this build cannot read are refused with an error that says why.
@Suite struct FormatVersionTests {
    /// A small real recording.
    private func recording(in dir: TempDir) throws -> String {
        let path = dir.file("small.amrec")
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "tests", toolVersion: "1"))
        let machine = Machine(.basic, id: "m-small")
        recorder.record(machine, role: .other)
        machine.add1(.start)
        machine.add1(.ready)
        recorder.close()
        return path
    }

    @Test func newerPreambleVersionIsRefusedNamingBothVersions() throws {
        let dir = TempDir()
        let path = try recording(in: dir)
        var bytes = try readBytes(path)
        #expect(UInt16(bytes[8]) | UInt16(bytes[9]) << 8 == RecordingFormat.version)
        let newer = RecordingFormat.version + 1
        bytes[8] = UInt8(newer & 0xFF)
        bytes[9] = UInt8(newer >> 8)
        let patched = dir.file("newer.amrec")
        try writeBytes(bytes, to: patched)
        let error = #expect(throws: RecordingError.newerVersion(found: newer, supported: RecordingFormat.version)) {
            _ = try RecordingReader(path: patched)
        }
        let message = "\(try #require(error))"
        #expect(message.contains("version \(newer)") && message.contains("version \(RecordingFormat.version)"), "\(message)")
        #expect(message.contains("newer"), "\(message)")
        // A cursor refuses it the same way.
        #expect(throws: RecordingError.newerVersion(found: newer, supported: RecordingFormat.version)) {
            _ = try ReplayCursor(path: patched)
        }
        // A much newer one too (the high byte of the u16).
        bytes[8] = 0x01
        bytes[9] = 0x02
        try writeBytes(bytes, to: patched)
        #expect(throws: RecordingError.newerVersion(found: 0x0201, supported: RecordingFormat.version)) {
            _ = try RecordingReader(path: patched)
        }
    }

    @Test func newerHeaderRecordVersionIsRefused() throws {
        let dir = TempDir()
        let path = try recording(in: dir)
        var bytes = try readBytes(path)
        // The header frame: sync (2), length (4), body, crc (4); patch its JSON and re-seal it.
        let length = Int(bytes[14]) | Int(bytes[15]) << 8 | Int(bytes[16]) << 16 | Int(bytes[17]) << 24
        let body = 18..<(18 + length)
        // The body is kind, time and two varints, then the JSON: patch the version digit in place.
        let old = Array("\"formatVersion\":\(RecordingFormat.version),".utf8)
        let at = try #require((body.lowerBound...(body.upperBound - old.count)).first { Array(bytes[$0..<($0 + old.count)]) == old },
                              "the header JSON holds \(String(decoding: old, as: UTF8.self))")
        bytes.replaceSubrange(at..<(at + old.count), with: Array("\"formatVersion\":\(RecordingFormat.version + 1),".utf8))
        let patchedBody = Array(bytes[body])
        let crc = crc32(patchedBody)
        for i in 0..<4 { bytes[body.upperBound + i] = UInt8((crc >> (8 * UInt32(i))) & 0xFF) }
        let patched = dir.file("newer-header.amrec")
        try writeBytes(bytes, to: patched)
        #expect(throws: RecordingError.newerVersion(found: RecordingFormat.version + 1, supported: RecordingFormat.version)) {
            _ = try RecordingReader(path: patched)
        }
        // Without re-sealing, the same edit is a damaged header, not a crash.
        var unsealed = bytes
        for i in 0..<4 { unsealed[body.upperBound + i] ^= 0xFF }
        try writeBytes(unsealed, to: patched)
        #expect(throws: RecordingError.self) { _ = try RecordingReader(path: patched) }
    }

    @Test func fileThatIsNotARecordingIsRefused() throws {
        let dir = TempDir()
        let text = dir.file("notes.txt")
        try writeBytes(Array("these are my notes, not a recording\n".utf8), to: text)
        let error = #expect(throws: RecordingError.notARecording(text)) { _ = try RecordingReader(path: text) }
        #expect("\(try #require(error))".contains("not an asyncmachine recording"))
        // Also a file mangled as text (CR LF turned into LF): the magic catches it.
        var mangled = try readBytes(try recording(in: dir))
        mangled.remove(at: 6)
        let mangledPath = dir.file("mangled.amrec")
        try writeBytes(mangled, to: mangledPath)
        #expect(throws: RecordingError.notARecording(mangledPath)) { _ = try RecordingReader(path: mangledPath) }
    }

    /// A header record whose checksum holds but whose JSON is not a header says what is wrong with it.
    @Test func headerThatDoesNotDecodeSaysWhy() throws {
        let dir = TempDir()
        let bytes = try readBytes(try recording(in: dir))
        let header = DamageRecoveryTests.frame(kind: 1, time: nowNanoseconds(), transitions: 0, distance: 0,
                                               payload: Array(#"{"formatVersion":1}"#.utf8))
        let patched = dir.file("bad-header.amrec")
        try writeBytes(Array(bytes[0..<12]) + header, to: patched)
        let error = #expect(throws: RecordingError.self) { _ = try RecordingReader(path: patched) }
        guard case .malformed(let message) = try #require(error) else {
            Issue.record("expected a malformed header, got \(String(describing: error))")
            return
        }
        #expect(message.contains("the header record does not decode: ") && message.contains("tool"), "\(message)")
    }

    @Test func emptyOrMissingFileGivesAClearError() throws {
        let dir = TempDir()
        let empty = dir.file("empty.amrec")
        try writeBytes([UInt8](), to: empty)
        let error = #expect(throws: RecordingError.self) { _ = try RecordingReader(path: empty) }
        guard case .truncatedHeader(let emptyMessage) = try #require(error) else {
            Issue.record("an empty file should be reported as cut inside its header, got \(String(describing: error))")
            return
        }
        #expect(emptyMessage.contains("\(empty) is empty"), "\(emptyMessage)")

        // A directory is not an empty recording.
        let directory = #expect(throws: RecordingError.self) { _ = try RecordingReader(path: dir.path) }
        guard case .io(let dirMessage) = try #require(directory) else {
            Issue.record("a directory should be an I/O error, got \(String(describing: directory))")
            return
        }
        #expect(dirMessage.contains("\(dir.path) is a directory, not a recording"), "\(dirMessage)")

        let missing = dir.file("missing.amrec")
        let io = #expect(throws: RecordingError.self) { _ = try RecordingReader(path: missing) }
        guard case .io(let message) = try #require(io) else {
            Issue.record("a missing file should be an I/O error, got \(String(describing: io))")
            return
        }
        #expect(message.contains(missing) && message.contains("No such file"), "\(message)")
    }
}
