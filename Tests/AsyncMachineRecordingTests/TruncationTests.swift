import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A writer that dies mid-write leaves a torn last record: everything before it is read.
@Suite struct TruncationTests {
    /// A recording of small machines (so a thousand reads stay fast): two thousand
    /// transitions, with keyframes, actions, errors and a checkpoint every 100 transitions.
    static func recording(at path: String, transitions: Int) throws -> String {
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "tests", toolVersion: "1"),
                                    configuration: .init(checkpointInterval: 100))
        let schema = try Schema.basic.merging(["A": StateSpec(), "B": StateSpec(remove: ["A"]), "Tick": StateSpec(multi: true)])
        let machines = (0..<3).map { n in Machine(schema, id: "m\(n)") }
        // Plain machines: the pool derivation is the seek tests' subject, and costs time here.
        for m in machines { recorder.record(m, role: .other) }
        var rng = SplitMix64(seed: 3)
        let states: [StateName] = ["A", "B", "Tick", .start, .ready, .healthcheck]
        var seq: UInt64 = 0
        for i in 0..<transitions {
            let m = machines[Int(rng.next() % 3)]
            switch rng.next() % 50 {
            case 0: m.addErr(DemoError(text: "failure \(i)"))
            case 1: m.remove1(.exception)
            default: m.add1(states[Int(rng.next() % UInt64(states.count))], ["i": .int(i)])
            }
            switch rng.next() % 100 {
            case 0:
                seq += 1
                recorder.recordSnapshot(Snapshots.pool(seq: seq, takenAt: nowNanoseconds(), workers: [Snapshots.worker("w1", state: .idle)]))
            case 1: recorder.recordAction(OperatorAction(name: .kill, target: "w2", ok: true, result: "SIGTERM sent", origin: "test"))
            case 2: recorder.recordError(RecordedError(message: "lost w1", worker: "w1", source: "pool"))
            default: break
            }
        }
        recorder.close()
        return path
    }

    @Test(.timeLimit(.minutes(1)))
    func cutAtAThousandRandomOffsetsKeepsEveryCompleteRecord() async throws {
        let dir = TempDir()
        let path = try Self.recording(at: dir.file("full.amrec"), transitions: 2_000)
        let full = try RecordingReader(path: path)
        let (original, damage) = full.records()
        #expect(damage.isEmpty)
        let kinds = Set(original.compactMap(\.frame.kind))
        #expect(kinds == Set(RecordKind.allCases), "every kind is in play: \(kinds)")
        #expect(original.filter { $0.frame.kind == .checkpoint }.count >= 20)
        let size = full.fileSize
        let headerEnd = full.dataStart

        // Cuts at random offsets, plus the edges: inside the preamble, right after it, on the
        // header's end, on frame boundaries and one byte either side of them.
        var rng = SplitMix64(seed: 99)
        var cuts: [UInt64] = (0..<940).map { _ in rng.next() % (size + 1) }
        cuts += [0, 1, 7, 8, 11, 12, 13, headerEnd - 1, headerEnd, headerEnd + 1, size - 1, size]
        for _ in 0..<16 {
            let boundary = original[Int(rng.next() % UInt64(original.count))].frame.endOffset
            cuts += [boundary - 1, boundary, min(size, boundary + 1)]
        }
        // One copy, cut shorter and shorter.
        let copy = dir.file("cut.amrec")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let sortedCuts = Set(cuts).sorted(by: >)
        // Seconds of CPU: run them on a thread of their own rather than hold one of the
        // cooperative pool's (2 here) threads, which the suite's other tests wait on.
        let (checked, problems) = try await offThePool {
            try Self.checkCuts(sortedCuts, of: copy, original: original, headerEnd: headerEnd)
        }
        #expect(problems.isEmpty, "\(problems.count) problems, the first: \(problems.prefix(5))")
        #expect(checked >= 900)
    }

    /// Cuts `copy` at each offset (longest first) and says what, if anything, is wrong with
    /// what a reader recovers.
    private static func checkCuts(_ cuts: [UInt64], of copy: String, original: [RecordEntry],
                                  headerEnd: UInt64) throws -> (checked: Int, problems: [String]) {
        let ends = Set(original.map(\.frame.endOffset))
        let fd = open(copy, O_WRONLY)
        guard fd >= 0 else { return (0, ["cannot open \(copy)"]) }
        defer { close(fd) }
        var problems: [String] = []
        func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { problems.append(what()) } }
        var checked = 0
        for cut in cuts {
            guard ftruncate(fd, off_t(cut)) == 0 else { return (checked, problems + ["ftruncate to \(cut) failed"]) }
            checked += 1
            guard cut >= headerEnd else {
                // Inside the preamble or the header record: nothing can be read, and it says so.
                do {
                    _ = try RecordingReader(path: copy)
                    problems.append("cut at \(cut) inside the header: the reader opened it")
                } catch {
                    // RecordingReader throws RecordingError only.
                    if case .truncatedHeader(let message) = error {
                        check(!message.isEmpty, "cut at \(cut): an empty message")
                    } else {
                        problems.append("cut at \(cut) inside the header: expected truncatedHeader, got \(error)")
                    }
                }
                continue
            }
            let reader = try RecordingReader(path: copy)
            let (records, damage) = reader.records()
            // Frames are in file order: the survivors are a prefix of the originals.
            let expected = original.prefix { $0.frame.endOffset <= cut }
            check(records.count == expected.count, "cut at \(cut): \(records.count) records, expected \(expected.count)")
            // The same frames; every 10th cut (and the last records of every cut) compared whole.
            check(records.map(\.frame).elementsEqual(expected.map(\.frame)), "cut at \(cut): the frames before the cut differ")
            let whole = checked % 10 == 0 ? records.count : 20
            check(records.suffix(whole).elementsEqual(expected.suffix(whole)), "cut at \(cut): the records before the cut differ")
            if ends.contains(cut) || cut == headerEnd {
                check(damage.isEmpty, "cut at \(cut), a frame boundary: damage \(damage)")
            } else {
                let tornStart = expected.last?.frame.endOffset ?? headerEnd
                check(damage.count == 1, "cut at \(cut): \(damage)")
                if let torn = damage.first {
                    check(torn.isTornEnd && torn.offset == tornStart && torn.offset + torn.length == cut, "cut at \(cut): \(torn)")
                    check(torn.description.contains("cut at byte \(cut)"), "\(torn)")
                }
            }
            // Every 25th cut: a cursor over the cut file ends at the last surviving transition.
            if checked % 25 == 0 {
                let cursor = try ReplayCursor(reader: reader)
                try cursor.last()
                let transitions = UInt64(expected.filter { $0.frame.kind == .transition }.count)
                check(cursor.position == transitions && cursor.transitionCount == transitions, "cut at \(cut): cursor at \(cursor.position)")
                check(cursor.state.transitions == transitions, "cut at \(cut): state counts \(cursor.state.transitions)")
            }
        }
        return (checked, problems)
    }
}
