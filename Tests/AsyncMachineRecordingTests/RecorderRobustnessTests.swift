import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The recorder never loses what it has, never overwrites evidence, never blocks a machine;
/// the reader follows a growing file and reads past damage.
@Suite struct RecorderRobustnessTests {
    @Test func existingFileIsNeverOverwritten() throws {
        let dir = TempDir()
        let path = dir.file("evidence.amrec")
        let precious = Array("last night's recording\n".utf8)
        try writeBytes(precious, to: path)
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        let error = #expect(throws: RecordingError.exists(path)) {
            _ = try Recorder(path: path, header: RecordingHeader(tool: "tests", toolVersion: "1"))
        }
        #expect("\(try #require(error))".contains("already exists"))
        #expect(try readBytes(path) == precious, "the file is untouched")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == modified)
        // With overwrite it is replaced by a recording.
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "tests", toolVersion: "1"),
                                    configuration: .init(overwrite: true))
        recorder.close()
        #expect(try RecordingReader(path: path).header.tool == "tests")
        // A directory that does not exist is an I/O error naming the path.
        let missing = dir.file("no/such/dir.amrec")
        let io = #expect(throws: RecordingError.self) {
            _ = try Recorder(path: missing, header: RecordingHeader(tool: "tests", toolVersion: "1"))
        }
        guard case .io(let message)? = io else {
            Issue.record("expected an I/O error, got \(String(describing: io))")
            return
        }
        #expect(message.contains(missing))
    }

    /// The writer is stuck (its file is a pipe nobody reads) and the buffer holds 10
    /// records: a burst of transitions still runs at full speed, the overflow is counted,
    /// and once the writer can go on the file says how many records were lost.
    @Test(.timeLimit(.minutes(1)))
    func fullBufferDropsAndCountsAndNeverBlocksTheMachine() throws {
        let dir = TempDir()
        let fifo = dir.file("stuck.fifo")
        try #require(mkfifo(fifo, 0o600) == 0)
        let readEnd = open(fifo, O_RDONLY | O_NONBLOCK)
        try #require(readEnd >= 0)
        let recorder = try Recorder(path: fifo, header: RecordingHeader(tool: "tests", toolVersion: "1"),
                                    configuration: .init(bufferCapacity: 10, checkpointInterval: 100_000, overwrite: true))
        let machine = Machine(try Schema.basic.merging(["Tick": StateSpec(multi: true)]), id: "m-burst")
        let live = LiveTracer()
        recorder.record(machine, role: .other)
        machine.attach(live)
        // Let the writer fill the pipe and block in write(2): the pipe stops filling.
        func pipeBytes() -> Int32 {
            var n: Int32 = 0
            return ioctl(readEnd, UInt(FIONREAD), &n) == 0 ? n : -1
        }
        var filler = 0
        var lastLevel: Int32 = -1
        try waitBlocking("the writer blocks on the full pipe", timeout: .seconds(20)) {
            for _ in 0..<200 { machine.add1("Tick", ["pad": .string(String(repeating: "x", count: 200))]); filler += 1 }
            usleep(20_000)
            let level = pipeBytes()
            defer { lastLevel = level }
            return level > 0 && level == lastLevel
        }
        let stuckAt = pipeBytes()
        let started = ContinuousClock.now
        var results: [MutationResult] = []
        for n in 0..<5_000 { results.append(machine.add1("Tick", ["n": .int(n)])) }
        let elapsed = ContinuousClock.now - started
        #expect(results.allSatisfy { $0 == .executed }, "every mutation ran at once")
        #expect(elapsed < .seconds(5), "a stuck recorder must not slow the machine: \(elapsed)")
        #expect(live.count == filler + 5_000)
        #expect(pipeBytes() == stuckAt, "the writer was stuck all along")

        // Unblock the writer: drain the pipe into a file until the recorder closes it.
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) & ~O_NONBLOCK)
        let drained = ByteSink()
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                drained.append(chunk[0..<n])
            }
            done.signal()
        }
        reader.start()
        recorder.close()
        #expect(done.wait(timeout: .now() + 10) == .success, "the writer closed the pipe")
        close(readEnd)
        let status = recorder.status
        #expect(status.closed && status.failure == nil)
        #expect(status.dropped > 0, "records were dropped: \(status)")

        let copy = dir.file("drained.amrec")
        try writeBytes(drained.all, to: copy)
        let (records, damage) = try RecordingReader(path: copy).records()
        #expect(damage.isEmpty, "\(damage)")
        let transitions = records.filter { $0.frame.kind == .transition }.count
        // Every transition is either in the file or counted as dropped.
        #expect(UInt64(transitions) + status.dropped == UInt64(live.count), "\(transitions) written + \(status.dropped) dropped")
        let reports = records.compactMap(\.body.error).filter { $0.source == "recorder" }
        #expect(!reports.isEmpty, "the file says records were dropped")
        let reported = reports.compactMap { report -> UInt64? in
            let words = report.message.split(separator: " ")
            return words.firstIndex(of: "dropped").flatMap { UInt64(words[$0 + 1]) }
        }
        #expect(reported.count == reports.count && reported.reduce(0, +) == status.dropped, "\(reports.map(\.message))")
        #expect(reports.allSatisfy { $0.message.contains("buffer was full") })
        let end = try #require(records.last?.body.end)
        #expect(end.dropped == status.dropped && end.transitions == UInt64(transitions))
    }

    @Test(.timeLimit(.minutes(1)))
    func liveTailSeesNewTransitionsAfterRefresh() async throws {
        let dir = TempDir()
        let path = dir.file("live.amrec")
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "tests", toolVersion: "1"),
                                    configuration: .init(checkpointInterval: 30))
        let machine = Machine(try Schema.basic.merging(["Tick": StateSpec(multi: true)]), id: "m-live")
        recorder.record(machine, role: .other)
        for n in 0..<100 { machine.add1("Tick", ["n": .int(n)]) }
        try await eventually("the first 100 transitions on disk") { recorder.status.transitions == 100 }
        let cursor = try ReplayCursor(path: path)
        try cursor.last()
        #expect(cursor.position == 100 && cursor.transitionCount == 100)
        #expect(cursor.damage.isEmpty, "a live file without an end record is not damaged: \(cursor.damage)")
        let tickAt100 = cursor.state.machines.values.first?.states.firstIndex(of: "Tick")
        #expect(tickAt100 != nil)

        for n in 100..<250 { machine.add1("Tick", ["n": .int(n)]) }
        try await eventually("150 more on disk") { recorder.status.transitions == 250 }
        #expect(cursor.transitionCount == 100, "nothing changes before refresh")
        cursor.refresh()
        #expect(cursor.transitionCount == 250)
        try cursor.step()
        #expect(cursor.position == 101)
        try cursor.last()
        #expect(cursor.position == 250)
        let events = try cursor.events(limit: 1)
        #expect(events.last?.transition?.args["n"] == .int(249), "the newest transition is the last one made")
        #expect(cursor.damage.isEmpty)

        recorder.close()
        cursor.refresh()
        try cursor.last()
        #expect(cursor.position == 250)
        let (records, damage) = cursor.reader.records()
        #expect(damage.isEmpty && records.last?.frame.kind == .end)
    }

    /// A follower that meets a record the writer has only half written (a torn end for now)
    /// reads it whole once the rest is there: nothing is lost and nothing is called damage.
    @Test func liveTailResumesAtAHalfWrittenRecord() throws {
        let dir = TempDir()
        let pool = try SyntheticPool(path: dir.file("whole.amrec"), transitions: 300, checkpointInterval: 50, seed: 12)
        let whole = try readBytes(pool.path)
        let (records, _) = try RecordingReader(path: pool.path).records()
        let reference = try ReplayCursor(path: pool.path)
        try reference.last()
        var rng = SplitMix64(seed: 4)
        // Cut inside machine, transition, snapshot and checkpoint records alike.
        let candidates = records.filter { $0.frame.transitionCount > 5 && $0.frame.kind != .end }
        var victims: [RecordEntry] = []
        for kind in [RecordKind.transition, .snapshot, .checkpoint, .action] {
            if let entry = candidates.filter({ $0.frame.kind == kind }).randomElement(using: &rng) { victims.append(entry) }
        }
        #expect(victims.count == 4)
        for victim in victims {
            let growing = dir.file("growing-\(victim.frame.offset).amrec")
            let cut = Int(victim.frame.offset) + 1 + Int(rng.next() % UInt64(victim.frame.size - 1))
            try writeBytes(whole[0..<cut], to: growing)
            let cursor = try ReplayCursor(path: growing)
            try cursor.last()
            #expect(cursor.damage.contains { $0.isTornEnd && $0.offset == victim.frame.offset }, "\(victim.frame.kind!): \(cursor.damage)")
            // The writer finishes the record and goes on.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: growing))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(whole[cut...]))
            try handle.close()
            cursor.refresh()
            try cursor.last()
            #expect(cursor.position == reference.position, "\(victim.frame.kind!) cut at \(cut)")
            #expect(cursor.state == reference.state, "\(victim.frame.kind!) cut at \(cut): the completed record was read")
            #expect(cursor.damage.isEmpty, "\(victim.frame.kind!) cut at \(cut): the record is whole now, \(cursor.damage)")
            #expect(try cursor.events(limit: 500) == (try reference.events(limit: 500)))
        }
    }

    @Test func damageInTheMiddleIsSkippedAndReported() throws {
        let dir = TempDir()
        let pool = try SyntheticPool(path: dir.file("intact.amrec"), transitions: 800, checkpointInterval: 100, seed: 5)
        let (original, _) = try RecordingReader(path: pool.path).records()
        var bytes = try readBytes(pool.path)
        let transitions = original.filter { $0.frame.kind == .transition }
        let victim = transitions[transitions.count / 2]
        // Flip one byte inside its body.
        let inside = Int(victim.frame.offset) + 6 + (victim.frame.size - 10) / 2
        bytes[inside] ^= 0x5A
        let damaged = dir.file("damaged.amrec")
        try writeBytes(bytes, to: damaged)

        let (records, damage) = try RecordingReader(path: damaged).records()
        #expect(damage.count == 1, "\(damage)")
        let report = try #require(damage.first)
        #expect(!report.isTornEnd && report.offset == victim.frame.offset && report.length == UInt64(victim.frame.size), "\(report)")
        #expect(report.description.contains("skipped \(victim.frame.size) damaged bytes at offset \(victim.frame.offset)"))
        #expect(records == original.filter { $0.frame.offset != victim.frame.offset }, "every other record, the later ones too")
        #expect(records.last?.frame.kind == .end)

        // A cursor goes past it to the end, and reports it.
        let cursor = try ReplayCursor(path: damaged)
        try cursor.last()
        #expect(cursor.position == UInt64(transitions.count))
        #expect(cursor.damage.contains { !$0.isTornEnd && $0.offset == victim.frame.offset })
        let clean = try ReplayCursor(path: pool.path)
        try clean.last()
        #expect(cursor.snapshot?.seq == clean.snapshot?.seq)

        // A flipped sync byte is damage too.
        var unsynced = try readBytes(pool.path)
        unsynced[Int(victim.frame.offset)] = 0x00
        try writeBytes(unsynced, to: damaged)
        let (others, damage2) = try RecordingReader(path: damaged).records()
        #expect(damage2.count == 1 && damage2.first?.isTornEnd == false && damage2.first?.offset == victim.frame.offset, "\(damage2)")
        #expect(others.count == original.count - 1)
    }

    /// A machine the recorder only sees through its transitions (attached directly) gets a
    /// machine record of its own: its id and states, and nobody else's parent or tags.
    @Test func machineSeenOnlyThroughItsTransitionsIsRecordedOnItsOwn() throws {
        let dir = TempDir()
        let path = dir.file("attached.amrec")
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "tests", toolVersion: "1"))
        let known = Machine(.basic, id: "m-known", configuration: .init(parentId: "the-parent", tags: ["known"]))
        recorder.record(known, role: .supervisor)
        let stranger = Machine(try Schema.basic.merging(["Extra": StateSpec()]), id: "m-stranger")
        stranger.attach(recorder)
        known.add1(.start)
        stranger.add1("Extra")
        recorder.close()
        let (records, damage) = try RecordingReader(path: path).records()
        #expect(damage.isEmpty)
        let machine = try #require(records.compactMap(\.body.machine).first { $0.id == "m-stranger" })
        #expect(machine.states == stranger.stateNames && machine.role == "machine" && machine.schema == nil)
        #expect(machine.parent == nil, "the stranger has no known parent, got \(String(describing: machine.parent))")
        #expect(machine.tags.isEmpty)
        #expect(records.compactMap(\.body.transition).map(\.machineId) == ["m-known", "m-stranger"])
    }
}
