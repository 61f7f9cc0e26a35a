@testable import AsyncMachineRecording
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The writer's own bookkeeping, seen from inside the module.
@Suite struct WriterInternalsTests {
    struct EncodeFailure: Error {}

    /// A checkpoint that could not be encoded is not in the file: no later frame may point
    /// back to where it would have been, and it counts as dropped.
    @Test func checkpointThatDoesNotEncodeIsNotPointedTo() throws {
        let dir = TempDir()
        let path = dir.file("writer.amrec")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        let writer = RecordingWriter(fd: fd, path: path, checkpointInterval: 100)
        let encoder = JSONEncoder()
        writer.encode = { value in
            if value is ReplayCheckpoint { throw EncodeFailure() }
            return try encoder.encode(value)
        }
        writer.start(header: RecordingHeader(tool: "tests", toolVersion: "1"))
        writer.reportDropped(1)
        writer.finish()
        #expect(writer.status.dropped == 2, "the reported drop and the checkpoint that did not encode")

        let reader = try RecordingReader(path: path)
        let (records, damage) = reader.records()
        #expect(damage.isEmpty)
        #expect(records.map(\.frame.kind) == [.header, .error, .end])
        for entry in records where entry.frame.checkpointDistance > 0 {
            let target = entry.frame.offset - entry.frame.checkpointDistance
            #expect(records.first { $0.frame.offset == target }?.frame.kind == .checkpoint,
                    "the \(entry.frame.kind!) at \(entry.frame.offset) points back to \(target), which is no checkpoint")
        }
        #expect(records.last?.body.end?.dropped == 2)
    }

    @Test func crc32IsTheIEEEChecksum() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        #expect([UInt8]().withUnsafeBytes { CRC32.checksum($0) } == 0)
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(bytes.withUnsafeBytes { CRC32.checksum($0) } == crc32(bytes))
    }
}
