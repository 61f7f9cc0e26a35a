import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Testing

/// Seeking (through checkpoints) and replaying from the start agree, everywhere.
@Suite struct SeekTests {
    @Test(.timeLimit(.minutes(1)))
    func seekingToRandomPointsEqualsReplayingFromTheStart() throws {
        let dir = TempDir()
        let pool = try SyntheticPool(path: dir.file("seek.amrec"), transitions: 2_000, checkpointInterval: 50, seed: 7)
        let (records, damage) = try RecordingReader(path: pool.path).records()
        #expect(damage.isEmpty)
        let total = UInt64(pool.transitions)
        #expect(records.filter { $0.frame.kind == .checkpoint }.count >= 40)
        #expect(records.filter { $0.frame.kind == .snapshot }.count >= 20)

        // Replay from the start, one transition at a time.
        let stepper = try ReplayCursor(path: pool.path)
        #expect(stepper.position == 0 && stepper.transitionCount == total)
        var states = [stepper.state]
        var snapshots = [stepper.snapshot]
        while stepper.position < total {
            let before = stepper.position
            try stepper.step(1)
            #expect(stepper.position == before + 1)
            states.append(stepper.state)
            snapshots.append(stepper.snapshot)
        }
        #expect(states.count == Int(total) + 1)
        #expect(stepper.state.transitions == total)
        // The pool is derived from keyframes and transitions: workers' listing and active
        // states move between keyframes.
        let derived = Set(snapshots.compactMap { $0?.workers.map(\.activeStates) })
        #expect(derived.count > 20, "worker transitions change the pool between keyframes")
        #expect(snapshots.contains { $0?.workers.contains { $0.state == .busy } == true })

        // Each position's state holds exactly the records up to it (an oracle from the records).
        var rng = SplitMix64(seed: 11)
        for _ in 0..<20 {
            let p = rng.next() % (total + 1)
            let lastSnapshot = records.last { $0.frame.transitionCount <= p && $0.frame.kind == .snapshot }
            let machinesSeen = Set(records.filter { $0.frame.transitionCount <= p }.compactMap(\.body.machine).map(\.id))
            #expect(Set(states[Int(p)].machines.values.map(\.id)) == machinesSeen)
            #expect(states[Int(p)].transitions == p)
            #expect(snapshots[Int(p)]?.seq == lastSnapshot?.body.snapshot?.seq, "the keyframe in force at \(p)")
        }

        // 200 seeks in random order, backwards and forwards, through checkpoints.
        let seeker = try ReplayCursor(path: pool.path)
        var targets: [UInt64] = (0..<194).map { _ in rng.next() % (total + 1) }
        targets += [0, total, 1, total - 1, 50, 51]
        targets.shuffle(using: &rng)
        var backwards = 0
        for target in targets {
            if target < seeker.position { backwards += 1 }
            try seeker.seek(toTransition: target)
            #expect(seeker.position == target)
            #expect(seeker.state == states[Int(target)], "state at \(target)")
            #expect(seeker.snapshot == snapshots[Int(target)], "snapshot at \(target)")
        }
        #expect(backwards >= 50)
        // Past the end clamps to the end.
        try seeker.seek(toTransition: total + 1_000)
        #expect(seeker.position == total && seeker.state == states.last)
    }

    /// Frame times never decrease, so a transition that ends before an earlier-written
    /// record's time is stored with that later time (another thread's keyframe or action
    /// got in first). The checkpoints must hold what a reader derives from the stored
    /// times, or a seek through them disagrees with a replay.
    @Test func checkpointsAgreeWithReplayWhenTimesWereRaised() throws {
        let dir = TempDir()
        let path = dir.file("raised.amrec")
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "tests", toolVersion: "1"),
                                    configuration: .init(checkpointInterval: 10))
        let worker = Machine(.worker, id: "rnm-w1")
        let other = Machine(.basic, id: "m-other")
        recorder.record(worker, role: .worker("w1"))
        recorder.record(other, role: .other)
        recorder.recordSnapshot(Snapshots.pool(seq: 1, takenAt: nowNanoseconds(), workers: [Snapshots.worker("w1", state: .idle)]))
        // An action stamped a second ahead of the transitions that follow it.
        recorder.recordAction(OperatorAction(name: .heartbeat, ok: true, result: "healthchecking every worker", origin: "test"),
                              at: nowNanoseconds() + 1_000_000_000)
        worker.add1(.start)  // and a (canceled) auto transition
        for _ in 0..<8 { worker.add1(.healthcheck) }  // the 10th transition: a checkpoint follows
        for _ in 0..<5 { other.toggle1(.start) }  // no pool changes after the checkpoint
        recorder.close()

        let (records, _) = try RecordingReader(path: path).records()
        let checkpoint = try #require(records.first { $0.frame.kind == .checkpoint && $0.frame.transitionCount == 10 })
        let after = records.filter { $0.frame.offset > checkpoint.frame.offset }.compactMap(\.body.transition)
        #expect(!after.isEmpty && after.allSatisfy { $0.machineId == "m-other" })
        let stepper = try ReplayCursor(path: path)
        let total = stepper.transitionCount
        let seeker = try ReplayCursor(path: path)
        for target: UInt64 in [total, 12, 10, 11, total - 1] {
            try seeker.last()
            try seeker.seek(toTransition: target)  // backwards: from the checkpoint at 10
            try stepper.first()
            try stepper.step(Int(target))
            #expect(seeker.state == stepper.state, "at \(target)")
            #expect(seeker.snapshot?.takenAt == stepper.snapshot?.takenAt, "at \(target)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func eventLogIsTheSameWhetherSteppedOrSeeked() throws {
        let dir = TempDir()
        let pool = try SyntheticPool(path: dir.file("events.amrec"), transitions: 600, checkpointInterval: 50, seed: 8)
        let (records, _) = try RecordingReader(path: pool.path).records()
        let total = UInt64(pool.transitions)
        let stepper = try ReplayCursor(path: pool.path)
        var stepped: [UInt64: [PoolEvent]] = [:]
        var rng = SplitMix64(seed: 5)
        let sample = Set((0..<40).map { _ in rng.next() % (total + 1) } + [0, 49, 50, 51, 100, total])
        for p in 0...total {
            if p > 0 { try stepper.step() }
            if sample.contains(p) { stepped[p] = try stepper.events(limit: 120) }
        }
        let seeker = try ReplayCursor(path: pool.path)
        for p in sample.shuffled(using: &rng) {
            try seeker.seek(toTransition: p)
            let events = try seeker.events(limit: 120)
            let expected = Array(expectedEvents(records, upTo: p).suffix(120))
            #expect(events == stepped[p], "events at \(p): stepped and seeked differ")
            #expect(events == expected, "events at \(p) are the records up to it, as the live feed shows them")
        }
        // Worker transitions carry their worker, errors and actions are in the log.
        try seeker.last()
        let all = try seeker.events(limit: 100_000)
        #expect(all == expectedEvents(records, upTo: total))
        #expect(all.contains { $0.kind == .transition && $0.worker == "w2" })
        #expect(all.contains { $0.kind == .transition && $0.worker == nil && $0.transition?.machineId == SyntheticPool.supervisorId })
        #expect(all.contains { $0.kind == .error && $0.worker != nil })
        #expect(all.contains { $0.kind == .action })
        // A small limit keeps the newest events.
        #expect(try seeker.events(limit: 3) == Array(all.suffix(3)))
    }

    @Test(.timeLimit(.minutes(1)))
    func seekingToATimeFindsTheLastPositionAtOrBeforeIt() throws {
        let dir = TempDir()
        let pool = try SyntheticPool(path: dir.file("time.amrec"), transitions: 1_500, checkpointInterval: 50, seed: 9)
        let (records, _) = try RecordingReader(path: pool.path).records()
        let total = UInt64(pool.transitions)
        let cursor = try ReplayCursor(path: pool.path)
        let range = cursor.timeRange
        #expect(range.lowerBound == records.first?.frame.time && range.upperBound == records.last?.frame.time)

        /// The answer from the records: the last position all of whose records happened at or
        /// before `t` (position 0 when even the first transition's records are later).
        func expectedPosition(_ t: UInt64) -> UInt64 {
            var latestOK: UInt64 = 0
            var p: UInt64 = 0
            // Positions 1...total: the records with transitionCount == p are at or before t.
            var index = records.firstIndex { $0.frame.transitionCount > 0 } ?? records.count
            while p < total {
                p += 1
                var ok = true
                while index < records.count, records[index].frame.transitionCount == p {
                    if records[index].frame.time > t { ok = false }
                    index += 1
                }
                if !ok { break }
                latestOK = p
            }
            return latestOK
        }

        var rng = SplitMix64(seed: 21)
        var times: [UInt64] = (0..<60).map { _ in range.lowerBound + rng.next() % (range.upperBound - range.lowerBound + 1) }
        // Exactly on record times (transitions, keyframes, actions), and one ns either side.
        for _ in 0..<60 {
            let t = records[Int(rng.next() % UInt64(records.count))].frame.time
            times += [t - 1, t, t + 1]
        }
        times += [0, range.lowerBound, range.upperBound, UInt64.max - 1]
        for t in times.shuffled(using: &rng) {
            try cursor.seek(toTime: t)
            let expected = expectedPosition(t)
            #expect(cursor.position == expected, "time \(t): position \(cursor.position), expected \(expected)")
            // Whatever it lands on holds only records of that time or earlier (past the first transition).
            if cursor.position > 0 {
                #expect(records.filter { $0.frame.transitionCount <= cursor.position }.allSatisfy { $0.frame.time <= t })
            }
        }
    }
}
