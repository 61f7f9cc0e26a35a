import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
@testable import PoolTop
import Testing

@Suite("ReplayFeed")
struct ReplayFeedTests {
    /// A recording of `count` transitions of a small machine, one of them an error.
    private func recording(_ count: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replayfeed-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).amrec").path
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "test", toolVersion: "0"), configuration: .init(checkpointInterval: 10))
        let machine = Machine(try Schema([.start: StateSpec(), "Work": StateSpec(require: [.start])]), id: "m")
        recorder.record(machine, role: .other)
        machine.add1(.start)
        for i in 1..<count {
            if i == count / 2 { machine.addErr(TestFailure(text: "job \(i) failed")) } else { machine.toggle(["Work"]) }
        }
        recorder.close()
        return path
    }

    private func status(_ updates: [FeedUpdate]) -> ReplayStatus? {
        updates.compactMap { if case .replayStatus(let s) = $0 { s } else { nil } }.last
    }

    @Test("moves by replay requests and reports where it is, with the event log at that point")
    func moves() async throws {
        let path = try recording(40)
        defer { unlink(path) }
        let feed = try ReplayFeed(path: path)
        let first = feed.poll()
        #expect(status(first)?.position == 0)
        #expect(status(first)?.total == 40)
        feed.replay(.step(5))
        #expect(status(feed.poll())?.position == 5)
        feed.replay(.goto("tx30"))
        let at30 = feed.poll()
        #expect(status(at30)?.position == 30)
        let log = eventLog(at30)
        #expect(log.filter { $0.kind == .transition }.count == 30)
        // Start is transition 1, so the error (the 20th of the loop) is transition 21.
        feed.replay(.previousError)
        #expect(status(feed.poll())?.position == 21)
        feed.replay(.last)
        #expect(status(feed.poll())?.position == 40)
        feed.replay(.first)
        #expect(status(feed.poll())?.position == 0)
        // Nothing moved: nothing to redraw.
        #expect(feed.poll().isEmpty)
        // Actions are refused, saying why.
        let refused = try #require(await feed.perform(.fork(count: 1)).first)
        #expect(!refused.ok && refused.result.contains("REPLAY"))
    }

    @Test("play runs through the recording and stops at its end")
    func play() async throws {
        let path = try recording(25)
        defer { unlink(path) }
        let feed = try ReplayFeed(path: path)
        _ = feed.poll()
        feed.replay(.playPause)
        #expect(status(feed.poll())?.playing == true)
        var last: ReplayStatus?
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            try await Task.sleep(for: .milliseconds(20))
            // Polled once more after the deadline: a busy test machine may not have let
            // this task run at all until then.
            if let s = status(feed.poll()) { last = s }
        } while last?.playing != false && ContinuousClock.now < deadline
        #expect(last?.playing == false)
        #expect(last?.position == 25)
    }

    @Test("a recording cut mid-record opens, and its log says where the cut is")
    func tornRecording() throws {
        let path = try recording(30)
        defer { unlink(path) }
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(path, off_t(size - 7)) == 0)
        let feed = try ReplayFeed(path: path)
        let log = eventLog(feed.poll())
        let note = try #require(log.first { $0.kind == .error })
        #expect(note.error?.contains("the last record is cut") == true)
        feed.replay(.last)
        // Everything before the cut is there: the end record was cut, no transition was.
        #expect(status(feed.poll())?.position == 30)
    }

    private func eventLog(_ updates: [FeedUpdate]) -> [PoolEvent] {
        var log: [PoolEvent] = []
        for case .eventLog(let events) in updates { log = events }
        return log
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}


@Suite("ReplayFeed notices")
struct ReplayFeedNoticeTests {
    @Test("a jump that finds nothing, and a place it cannot read, say so in the status line")
    func notices() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notice-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).amrec").path
        defer { unlink(path) }
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "test", toolVersion: "0"))
        let machine = Machine(try Schema([.start: StateSpec()]), id: "m")
        recorder.record(machine, role: .other)
        machine.add1(.start)
        recorder.close()
        let feed = try ReplayFeed(path: path)
        _ = feed.poll()
        feed.replay(.nextError)
        #expect(Self.status(feed.poll())?.text == "no later error")
        feed.replay(.goto("yesterday"))
        let bad = Self.status(feed.poll())
        #expect(bad?.isError == true && bad?.text.contains("cannot read \"yesterday\"") == true)
    }

    static func status(_ updates: [FeedUpdate]) -> StatusMessage? {
        var message: StatusMessage?
        for case .status(let m) in updates { message = m }
        return message
    }
}

@Suite("Places in a recording")
struct ReplayTargetZoneTests {
    @Test("a time of day is read in the dashboard's zone, on the day the recording starts there")
    func timeOfDayInZone() {
        // The recording starts at 2026-11-29 23:30 UTC, which is 2026-11-30 01:30 at UTC+2.
        let start: UInt64 = 1_795_995_000 * 1_000_000_000
        let range = start...(start + 3_600 * 1_000_000_000)
        // 01:45 at UTC+2 is 23:45 UTC, 15 minutes in.
        #expect(ReplayTarget.parse("01:45", in: range, utcOffsetSeconds: 7_200) == .time(start + 900 * 1_000_000_000))
        // In UTC, 23:45 is the same moment.
        #expect(ReplayTarget.parse("23:45", in: range) == .time(start + 900 * 1_000_000_000))
    }
}

@Suite("ReplayFeed on a live recording")
struct ReplayFeedFollowTests {
    @Test("at the end of a recording still being written, it shows what is appended, transitions or not")
    func followsAppendedRecords() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).amrec").path
        defer { unlink(path) }
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "test", toolVersion: "0"))
        let machine = Machine(try Schema([.start: StateSpec()]), id: "m")
        recorder.record(machine, role: .other)
        machine.add1(.start)
        try await Task.sleep(for: .milliseconds(100))  // the writer writes in batches every few milliseconds
        let feed = try ReplayFeed(path: path)
        feed.replay(.last)
        _ = feed.poll()
        recorder.recordAction(OperatorAction(name: .fork, count: 2, ok: true, result: "forking 2", origin: "test"))
        machine.remove1(.start)
        try await Task.sleep(for: .milliseconds(700))  // past the feed's 500 ms refresh
        var log: [PoolEvent] = []
        var position: Int?
        for update in feed.poll() {
            if case .eventLog(let events) = update { log = events }
            if case .replayStatus(let s) = update { position = s.position }
        }
        #expect(position == 2)
        #expect(log.contains { $0.kind == .action && $0.action?.result == "forking 2" })
        recorder.close()
    }
}
