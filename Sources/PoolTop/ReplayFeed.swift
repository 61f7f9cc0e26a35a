import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Synchronization

/// A recording played back: the pool and event log at the cursor, moved by replay
/// requests. Playing advances through recorded time at `speed` times real time; quiet
/// stretches longer than a second of real time are skipped, so a night plays without dead
/// air. At the end it follows the file if it is still being written.
public final class ReplayFeed: PoolFeed {
    /// Speeds `+` and `-` step through, as factors of real time.
    public static let speeds: [Double] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

    private struct Player {
        var playing = false
        var speedIndex = 2
        var lastTick: ContinuousClock.Instant?
        /// Recorded time the player has reached (ahead of the cursor between records).
        var virtualTime: UInt64 = 0
        var sinceMove: Duration = .zero
        var lastRefresh = ContinuousClock.now
        var dirty = true
        /// A message for the status line, sent with the next poll.
        var notice: StatusMessage?
    }

    public let path: String
    private let utcOffsetSeconds: Int
    private let cursor: Mutex<ReplayCursorBox>
    private let player = Mutex(Player())
    private let eventLimit: Int

    /// Opens `path` at its first transition. Throws a clear error for a file that is not a
    /// recording, a newer format, or a header cut short.
    /// `utcOffsetSeconds`: the zone times of day in `:goto` are read in (the one the
    /// dashboard shows times in).
    public init(path: String, eventLimit: Int = 500, utcOffsetSeconds: Int = 0) throws {
        self.path = path
        self.eventLimit = eventLimit
        self.utcOffsetSeconds = utcOffsetSeconds
        let opened = try ReplayCursor(path: path)
        cursor = Mutex(ReplayCursorBox(cursor: opened))
        notes = opened.damage.map { d in
            PoolEvent(kind: .error, time: opened.timeRange.upperBound,
                      error: d.isTornEnd ? "recording: \(d) (the writer was stopped mid-record, or is still writing)" : "recording: \(d)")
        }
    }

    /// What the file itself says is wrong with it (a cut last record), shown in the log.
    private let notes: [PoolEvent]

    /// Damage found in the file (a torn end after a crash), for the status line.
    public var damage: [RecordingDamage] { cursor.withLock { $0.cursor.damage } }

    public func poll() -> [FeedUpdate] {
        let now = ContinuousClock.now
        let (playing, speed, elapsed) = player.withLock { p -> (Bool, Double, Duration) in
            defer { p.lastTick = now }
            return (p.playing, Self.speeds[p.speedIndex], p.lastTick.map { now - $0 } ?? .zero)
        }
        if playing { advance(by: elapsed, speed: speed) } else { followIfAtEnd(now) }
        let (dirty, notice) = player.withLock { p -> (Bool, StatusMessage?) in
            defer {
                p.dirty = false
                p.notice = nil
            }
            return (p.dirty, p.notice)
        }
        guard dirty else { return notice.map { [.status($0)] } ?? [] }
        // The two locks are never held together.
        let (isPlaying, speedNow) = player.withLock { ($0.playing, Self.speeds[$0.speedIndex]) }
        return cursor.withLock { box in
            let c = box.cursor
            let snapshot = c.snapshot ?? Self.emptySnapshot(c)
            let events = notes + ((try? c.events(limit: eventLimit)) ?? [])
            return [
                .snapshot(snapshot), .eventLog(events),
                .replayStatus(ReplayStatus(position: Int(clamping: c.position), total: Int(clamping: c.transitionCount), time: c.time,
                                           speed: speedNow, playing: isPlaying)),
            ] + (notice.map { [.status($0)] } ?? [])
        }
    }

    public func perform(_ request: ControlRequest) async -> [OperatorAction] {
        request.poolCommands.map {
            OperatorAction($0, ok: false, result: "REPLAY: actions are disabled while replaying a recording", origin: "dashboard")
        }
    }

    public func replay(_ request: ReplayRequest) {
        switch request {
        case .playPause:
            let atEnd = cursor.withLock { $0.cursor.position >= $0.cursor.transitionCount }
            player.withLock { p in
                p.playing.toggle()
                p.sinceMove = .zero
                p.lastTick = nil
            }
            if atEnd { move { try $0.first() } }
            let time = cursor.withLock { $0.cursor.time }
            player.withLock {
                $0.virtualTime = time
                $0.dirty = true
            }
        case .speedUp: player.withLock { $0.speedIndex = min(Self.speeds.count - 1, $0.speedIndex + 1); $0.dirty = true }
        case .slowDown: player.withLock { $0.speedIndex = max(0, $0.speedIndex - 1); $0.dirty = true }
        case .step(let n): move { try $0.step(n) }
        case .jump(let n): move { try $0.step(n) }
        case .first: move { try $0.first() }
        case .last: move { try $0.last() }
        case .nextError: find("no later error") { try $0.nextError() }
        case .previousError: find("no earlier error") { try $0.previousError() }
        case .nextChange(let worker): find("no later change of \(worker)") { try $0.nextChange(ofWorker: worker) }
        case .previousChange(let worker): find("no earlier change of \(worker)") { try $0.previousChange(ofWorker: worker) }
        case .goto(let text):
            move { c in
                guard let target = ReplayTarget.parse(text, in: c.timeRange, utcOffsetSeconds: utcOffsetSeconds) else {
                    throw ReplayNotice(text: "cannot read \"\(text)\" as a place in the recording: give \(ReplayTarget.examples)")
                }
                try c.seek(to: target)
            }
        }
    }

    public func stop() async {}

    // MARK: Internals

    /// Records one jump may read before it stops and says how far it got (a fraction of a
    /// second), so the screen never freezes on a long recording.
    static let searchBudget = 200_000

    /// A jump that may find nothing: says so in the status line instead of doing nothing.
    private func find(_ none: String, _ body: (ReplayCursor) throws -> Bool) {
        move { c in
            c.searchBudget = Self.searchBudget
            defer { c.searchBudget = .max }
            if try !body(c) {
                throw ReplayNotice(text: c.searchStoppedEarly
                    ? "\(none) in \(Self.searchBudget) records; stopped at tx \(c.position): press again to search on"
                    : none)
            }
        }
    }

    private func move(_ body: (ReplayCursor) throws -> Void) {
        let failure = cursor.withLock { box -> String? in
            do {
                try body(box.cursor)
                return nil
            } catch let notice as ReplayNotice {
                return notice.text
            } catch {
                return "\(error)"
            }
        }
        if let failure { player.withLock { $0.notice = StatusMessage(failure, isError: true) } }
        let time = cursor.withLock { $0.cursor.time }
        player.withLock { p in
            p.virtualTime = time
            p.sinceMove = .zero
            p.dirty = true
        }
    }

    private func advance(by elapsed: Duration, speed: Double) {
        let step = UInt64(Double(elapsed.nanosecondsCount) * speed)
        let target = player.withLock { p -> UInt64 in
            p.virtualTime &+= step
            p.sinceMove += elapsed
            return p.virtualTime
        }
        let (before, after, total, time) = cursor.withLock { box -> (UInt64, UInt64, UInt64, UInt64) in
            let c = box.cursor
            let before = c.position
            try? c.seek(toTime: target)
            // Never move back while playing (records share times), and skip quiet stretches.
            if c.position < before { try? c.seek(toTransition: before) }
            return (before, c.position, c.transitionCount, c.time)
        }
        let skipQuiet = player.withLock { p -> Bool in
            if after != before {
                p.sinceMove = .zero
                p.dirty = true
            }
            if after >= total {
                p.playing = false
                p.dirty = true
            }
            if p.virtualTime < time { p.virtualTime = time }
            return after == before && after < total && p.sinceMove >= .seconds(1)
        }
        guard skipQuiet else { return }
        // A quiet stretch: jump to the next transition rather than wait through it.
        let (moved, now) = cursor.withLock { box -> (Bool, UInt64) in
            let c = box.cursor
            let from = c.position
            try? c.step(1)
            return (c.position != from, c.time)
        }
        player.withLock { p in
            p.sinceMove = .zero
            p.dirty = true
            p.virtualTime = now
            // A record that cannot be read stops play instead of retrying it forever.
            if !moved {
                p.playing = false
                p.notice = StatusMessage("play stopped: cannot read on at transition \(after)", isError: true)
            }
        }
    }

    /// At the end of a recording still being written, picks up what was appended.
    private func followIfAtEnd(_ now: ContinuousClock.Instant) {
        let due = player.withLock { p -> Bool in
            guard now - p.lastRefresh >= .milliseconds(500) else { return false }
            p.lastRefresh = now
            return true
        }
        guard due else { return }
        let moved = cursor.withLock { box -> Bool in
            let c = box.cursor
            let atEnd = c.position >= c.transitionCount
            let (size, count) = (c.reader.fileSize, c.transitionCount)
            c.refresh()
            // Growth without transitions counts too: an action, an error or a keyframe.
            guard c.reader.fileSize != size else { return false }
            if atEnd { try? c.last() }
            return c.transitionCount != count || atEnd
        }
        if moved { player.withLock { $0.dirty = true } }
    }

    /// The pool before the recording's first keyframe: its sizes, no workers.
    private static func emptySnapshot(_ c: ReplayCursor) -> PoolSnapshot {
        let h = c.reader.header
        let pool = h.pool ?? PoolSnapshot.Pool(min: 0, max: 0, warm: 0, target: 0, maxClientWorkers: 0, heartbeatMilliseconds: 0)
        return PoolSnapshot(
            seq: 0, takenAt: c.time, supervisor: h.supervisor ?? "", kind: h.kind ?? "", pool: pool,
            flags: .init(poolReady: false, normalizingPool: false, poolNormalized: false, workersAvailable: false, ready: false, errPool: false),
            counters: .init(forked: 0, gone: 0, killed: 0, errors: 0), workers: [], clients: [])
    }
}

/// The cursor is not thread-safe; the feed only touches it under its lock.
private struct ReplayCursorBox: @unchecked Sendable {
    let cursor: ReplayCursor
}

/// A replay jump that found nothing, for the status line.
private struct ReplayNotice: Error {
    let text: String
}
