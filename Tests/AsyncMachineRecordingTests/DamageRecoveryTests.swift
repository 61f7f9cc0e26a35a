import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Testing

/// Damaged, crafted and growing files: whatever is in them, readers skip what they cannot
/// use, say so, go on to the end, and never crash.
@Suite struct DamageRecoveryTests {
    /// A whole frame as the format specifies it (sync, length, body, CRC-32), for crafted records.
    static func frame(kind: UInt8, time: UInt64, transitions: UInt64, distance: UInt64, payload: [UInt8]) -> [UInt8] {
        func varint(_ value: UInt64) -> [UInt8] {
            var v = value
            var out: [UInt8] = []
            while v >= 0x80 {
                out.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            return out + [UInt8(v)]
        }
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let body = [kind] + le(time) + varint(transitions) + varint(distance) + payload
        return [0xA7, 0x3C] + le(UInt32(body.count)) + body + le(crc32(body))
    }

    // MARK: A damaged length (C2)

    /// A length byte damaged in the middle of the file makes the frame claim more bytes than
    /// the file has. That is not the torn end: the frames after it are read.
    @Test(.timeLimit(.minutes(1)))
    func damagedLengthInTheMiddleSkipsOnlyThatFrame() throws {
        let dir = TempDir()
        let path = try TruncationTests.recording(at: dir.file("intact.amrec"), transitions: 2_000)
        let (original, clean) = try RecordingReader(path: path).records()
        #expect(clean.isEmpty && original.count > 2_000)
        let whole = try readBytes(path)
        let size = UInt64(whole.count)
        let transitions = UInt64(original.filter { $0.frame.kind == .transition }.count)
        for (kind, byte, flip) in [(RecordKind.transition, 5, UInt8(0x01)), (.checkpoint, 5, 0x02), (.snapshot, 4, 0x40), (.transition, 4, 0x10)] {
            let victims = original.filter { $0.frame.kind == kind }
            let victim = victims[victims.count / 2]
            var bytes = whole
            let at = Int(victim.frame.offset)
            bytes[at + byte] ^= flip
            let length = (2..<6).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1 - 2)) }
            try #require(victim.frame.offset + 10 + length > size, "the damaged length claims bytes past the end")
            let damaged = dir.file("length-\(kind)-\(byte).amrec")
            try writeBytes(bytes, to: damaged)

            let reader = try RecordingReader(path: damaged)
            let (records, damage) = reader.records()
            #expect(records == original.filter { $0.frame.offset != victim.frame.offset }, "\(kind): every other record, the later ones too")
            #expect(damage.count == 1, "\(kind): \(damage)")
            let report = try #require(damage.first)
            #expect(!report.isTornEnd && report.offset == victim.frame.offset && report.length == UInt64(victim.frame.size),
                    "\(kind): \(report)")
            #expect(report.description.contains("skipped \(victim.frame.size) damaged bytes"), "\(report)")

            // The export and a cursor go past it too.
            var lines = 0
            #expect(try RecordingExport.writeJSONLines(reader) { _ in lines += 1 } == damage)
            #expect(lines == records.count)
            let cursor = try ReplayCursor(path: damaged)
            try cursor.last()
            #expect(cursor.position == transitions, "\(kind)")
            #expect(cursor.damage.contains { !$0.isTornEnd && $0.offset == victim.frame.offset }, "\(kind): \(cursor.damage)")
            #expect(!cursor.damage.contains { $0.isTornEnd }, "\(kind): \(cursor.damage)")
        }
    }

    // MARK: Records that do not decode (C3)

    /// A recording with a machine whose record is written in the middle of the file, after
    /// the first checkpoints; both machines change until the end.
    static func lateMachineRecording(at path: String) throws -> String {
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "tests", toolVersion: "1"),
                                    configuration: .init(checkpointInterval: 100))
        let early = Machine(.basic, id: "m-early")
        recorder.record(early, role: .other)
        for _ in 0..<250 { early.toggle1(.start) }
        let late = Machine(.basic, id: "m-late")
        recorder.record(late, role: .other)
        for i in 0..<600 {
            if i % 3 == 0 { early.toggle1(.start) } else { late.toggle1(.start) }
            if i == 400 { recorder.recordError(RecordedError(message: "late failed", machine: "m-late", source: "pool")) }
        }
        recorder.close()
        return path
    }

    /// A damaged machine record leaves its machine's next transitions undecodable (nothing
    /// names their states until the next checkpoint): they are reported and passed over, and
    /// the cursor still gets everywhere.
    @Test(.timeLimit(.minutes(1)))
    func cursorPassesRecordsThatDoNotDecode() throws {
        let dir = TempDir()
        let path = try Self.lateMachineRecording(at: dir.file("late.amrec"))
        let (original, _) = try RecordingReader(path: path).records()
        let machineRecord = try #require(original.first { $0.body.machine?.id == "m-late" })
        #expect(machineRecord.frame.transitionCount >= 250, "written in the middle of the file")
        let nextCheckpoint = try #require(original.first { $0.frame.kind == .checkpoint && $0.frame.offset > machineRecord.frame.offset })
        let lost = original.filter {
            $0.body.transition?.machineId == "m-late" && $0.frame.offset < nextCheckpoint.frame.offset
        }
        #expect(lost.count > 20)

        var bytes = try readBytes(path)
        bytes[Int(machineRecord.frame.offset) + machineRecord.frame.size / 2] ^= 0x20
        let damaged = dir.file("damaged.amrec")
        try writeBytes(bytes, to: damaged)
        let total = UInt64(original.filter { $0.frame.kind == .transition }.count)

        let clean = try ReplayCursor(path: path)
        try clean.last()
        let cursor = try ReplayCursor(path: damaged)
        try cursor.last()
        #expect(cursor.position == total)
        #expect(cursor.state == clean.state, "the checkpoint after the damage restores what it lost")
        #expect(cursor.damage.contains { !$0.isTornEnd && $0.offset == machineRecord.frame.offset }, "\(cursor.damage)")
        for entry in lost {
            let report = cursor.damage.first { $0.offset == entry.frame.offset }
            #expect(report?.isTornEnd == false && report?.length == UInt64(entry.frame.size), "\(String(describing: report))")
            #expect(report?.description.contains("does not decode") == true, "\(String(describing: report))")
        }
        #expect(!cursor.damage.contains { $0.isTornEnd })

        // One step at a time from the start, across the damage, to the end.
        try cursor.first()
        while cursor.position < total {
            let before = cursor.position
            try cursor.step(1)
            #expect(cursor.position == before + 1)
            if cursor.position != before + 1 { break }
        }
        try cursor.step(1)
        #expect(cursor.position == total)
        // And back into the damaged stretch through the checkpoints.
        let inside = lost[lost.count / 2].frame.transitionCount
        try cursor.seek(toTransition: inside)
        #expect(cursor.position == inside)
        try cursor.step(-1)
        #expect(cursor.position == inside - 1)
        _ = try cursor.events(limit: 2_000)

        // The searches go past it: they find the late machine's changes they can read.
        let readable = original.filter { $0.body.transition?.machineId == "m-late" && $0.frame.offset > nextCheckpoint.frame.offset }
            .map(\.frame.transitionCount)
        try cursor.first()
        var forward: [UInt64] = []
        while try cursor.nextChange(of: .start, machine: "m-late") { forward.append(cursor.position) }
        #expect(forward == readable)
        var backward: [UInt64] = []
        try cursor.last()
        while try cursor.previousChange(of: .start, machine: "m-late") { backward.append(cursor.position) }
        #expect(backward == readable.filter { $0 < total }.reversed())
        try cursor.first()
        #expect(try cursor.nextError())
        #expect(try cursor.events(limit: 5).last?.error == "late failed")
        // Steps of any size clamp at both ends.
        try cursor.step(Int.min)
        #expect(cursor.position == 0)
        try cursor.step(Int.max)
        #expect(cursor.position == total)
    }

    // MARK: Crafted checkpoint distances (C4)

    /// A frame with a valid checksum may still say anything: a checkpoint distance reaching
    /// back past the start of the file, or to a record that is not a checkpoint, or a
    /// checkpoint that does not decode. Seeking falls back to a checkpoint that is one.
    @Test(.timeLimit(.minutes(1)))
    func craftedCheckpointDistancesDoNotBreakSeeking() throws {
        let dir = TempDir()
        let path = try TruncationTests.recording(at: dir.file("base.amrec"), transitions: 500)
        let (original, _) = try RecordingReader(path: path).records()
        let whole = try readBytes(path)
        let end = UInt64(whole.count)
        let total = UInt64(original.filter { $0.frame.kind == .transition }.count)
        let lastTime = try #require(original.last?.frame.time)
        let aTransition = original.filter { $0.frame.kind == .transition }[100].frame.offset
        let lastCheckpoint = try #require(original.last { $0.frame.kind == .checkpoint }).frame.offset
        let error = Array(#"{"message":"crafted","source":"test"}"#.utf8)
        let clean = try ReplayCursor(path: path)
        try clean.last()

        let cases: [(name: String, kind: UInt8, distance: UInt64, payload: [UInt8])] = [
            ("past the start", 6, UInt64.max / 3, error),
            ("one byte past the start", 6, end + 1, error),
            ("to a transition", 6, end - aTransition, error),
            ("into the header", 6, end - 13, error),
            ("a checkpoint that does not decode", 7, end - lastCheckpoint, Array("not json".utf8)),
        ]
        for c in cases {
            // Far ahead in transitions, so that going there seeks through its checkpoint.
            let crafted = Self.frame(kind: c.kind, time: lastTime, transitions: total + 5_000, distance: c.distance, payload: c.payload)
            let file = dir.file("crafted-\(c.name.filter(\.isLetter)).amrec")
            try writeBytes(whole + crafted, to: file)
            let cursor = try ReplayCursor(path: file)
            #expect(cursor.transitionCount == total + 5_000, "\(c.name)")
            try cursor.last()
            #expect(cursor.position == total + 5_000, "\(c.name)")
            #expect(cursor.state.transitions == total, "\(c.name): the state holds the file's transitions")
            try cursor.step(-1)
            #expect(cursor.position == total + 4_999, "\(c.name)")
            try cursor.seek(toTransition: total / 2)
            #expect(cursor.position == total / 2, "\(c.name)")
            try cursor.seek(toTransition: total + 5_000)
            #expect(cursor.state.machines == clean.state.machines, "\(c.name)")
            _ = try cursor.previousError()
            _ = try cursor.events(limit: 3_000)
        }
    }

    // MARK: A file that grew after it was opened (C4)

    /// A reader reads the file as it was when opened or last refreshed, even when more was
    /// written since (a live recording), and a cursor sees the rest once it refreshes.
    @Test(.timeLimit(.minutes(1)))
    func fileThatGrewAfterItWasOpenedIsReadAsItWas() throws {
        let dir = TempDir()
        let path = try TruncationTests.recording(at: dir.file("whole.amrec"), transitions: 600)
        let whole = try readBytes(path)
        let (original, _) = try RecordingReader(path: path).records()
        let transitions = original.filter { $0.frame.kind == .transition }
        let boundary = Int(transitions[200].frame.endOffset)
        let cutFrame = transitions[450].frame
        let cut = Int(cutFrame.offset) + cutFrame.size / 2

        let growing = dir.file("growing.amrec")
        try writeBytes(whole[0..<boundary], to: growing)
        let reader = try RecordingReader(path: growing)
        let cursor = try ReplayCursor(reader: reader)
        // The writer goes on: more records, and half of one.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: growing))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(whole[boundary..<cut]))
        try handle.close()

        let (records, damage) = reader.records()
        #expect(records == original.filter { $0.frame.endOffset <= UInt64(boundary) }, "what there was when it was opened")
        #expect(damage.isEmpty, "\(damage)")
        var lines = 0
        #expect(try RecordingExport.writeJSONLines(reader) { _ in lines += 1 }.isEmpty)
        #expect(lines == records.count)
        #expect(try cursor.next { _, _ in false } == false)
        _ = try cursor.events()
        try cursor.seek(toTransition: 201)
        #expect(cursor.position == 201)

        // Once it looks again, it reads up to the half-written record, and reports it.
        try cursor.last()
        #expect(cursor.position == 450)
        #expect(cursor.damage.contains { $0.isTornEnd && $0.offset == cutFrame.offset }, "\(cursor.damage)")
        reader.refresh()
        let (more, torn) = reader.records()
        #expect(more == original.filter { $0.frame.endOffset <= cutFrame.offset })
        #expect(torn.count == 1 && torn.first?.isTornEnd == true && torn.first?.offset == cutFrame.offset, "\(torn)")
    }
}
