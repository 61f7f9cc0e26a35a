import AsyncMachine
import AsyncMachineNode
import Foundation
import Synchronization

/// Records a whole pool: the supervisor's machine, every worker mirror as it links, pool
/// keyframes, and every operator action with its result.
///
/// Keyframes come at the start, at least every `keyframeInterval`, and within
/// `changeThrottle` of a big change: workers added, linked, being killed or gone, a flag, a
/// counter, the pool sizes or the clients changed. A worker going busy and idle is no big change: its
/// mirror's transitions already carry it, and a busy pool would otherwise write a
/// keyframe ten times a second.
public final class PoolRecording: Sendable {
    public let recorder: Recorder
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let dirty = Atomic<Bool>(true)
    private let lastShape = Mutex<Shape?>(nil)
    private weak let supervisor: Supervisor?

    /// Starts recording `supervisor` into `recorder`.
    public init(supervisor: Supervisor, recorder: Recorder, keyframeInterval: Duration = .seconds(10),
                changeThrottle: Duration = .milliseconds(100)) {
        self.recorder = recorder
        self.supervisor = supervisor
        recorder.record(supervisor.machine, role: .supervisor)
        supervisor.observeWorkerMirrors { [weak recorder] id, mirror in recorder?.record(mirror, role: .worker(id)) }
        supervisor.observeActions { [weak recorder] action in recorder?.recordAction(action) }
        supervisor.observeChanges { [weak self] in self?.dirty.store(true, ordering: .relaxed) }
        let started = Task { [weak self] in
            var sinceKeyframe = keyframeInterval
            while !Task.isCancelled {
                guard let self else { return }
                sinceKeyframe += changeThrottle
                if sinceKeyframe >= keyframeInterval {
                    self.keyframe()
                    sinceKeyframe = .zero
                } else if self.dirty.exchange(false, ordering: .relaxed), self.keyframe(onlyIfShapeChanged: true) {
                    sinceKeyframe = .zero
                }
                try? await Task.sleep(for: changeThrottle)
            }
        }
        task.withLock { $0 = started }
    }

    /// Writes a keyframe now.
    public func keyframe() { keyframe(onlyIfShapeChanged: false) }

    @discardableResult
    private func keyframe(onlyIfShapeChanged: Bool) -> Bool {
        guard let supervisor else { return false }
        let snapshot = supervisor.snapshot()
        let shape = Shape(snapshot)
        let changed = lastShape.withLock { last -> Bool in
            defer { last = shape }
            return last != shape
        }
        guard changed || !onlyIfShapeChanged else { return false }
        recorder.recordSnapshot(snapshot)
        return true
    }

    /// What makes a change big enough for a keyframe.
    private struct Shape: Equatable {
        var workers: [String]
        var pool: PoolSnapshot.Pool
        var flags: PoolSnapshot.Flags
        var counters: PoolSnapshot.Counters
        var clients: [String]

        init(_ s: PoolSnapshot) {
            // Busy, idle and ready are one class here: the worker's own transitions tell them apart.
            workers = s.workers.map { w in
                let linked: Set<WorkerState> = [.ready, .idle, .busy]
                return "\(w.id):\(linked.contains(w.state) ? "linked" : w.state.rawValue)"
            }
            pool = s.pool
            flags = s.flags
            counters = s.counters
            clients = s.clients
        }
    }

    /// Stops taking keyframes, writes a last one and closes the recorder.
    public func stop() {
        task.withLock { $0?.cancel() }
        keyframe()
        recorder.close()
    }
}

extension RecordingHeader {
    /// A header describing `supervisor`'s pool, written by `tool`.
    public static func pool(_ supervisor: Supervisor, tool: String, toolVersion: String) -> RecordingHeader {
        let snapshot = supervisor.snapshot()
        return RecordingHeader(
            tool: tool, toolVersion: toolVersion, host: ProcessInfo.processInfo.hostName, pid: getpid(),
            supervisor: supervisor.name, kind: snapshot.kind, pool: snapshot.pool,
            workerCommand: supervisor.workerCommand)
    }
}
