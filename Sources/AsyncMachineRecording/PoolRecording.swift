import AsyncMachine
import AsyncMachineNode
import Foundation
import Synchronization

/// Records a whole pool: the supervisor's machine, every worker mirror as it links, pool
/// keyframes (at once, after changes at most every `changeThrottle`, and at least every
/// `keyframeInterval`), and every operator action with its result.
public final class PoolRecording: Sendable {
    public let recorder: Recorder
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let dirty = Atomic<Bool>(true)
    private weak let supervisor: Supervisor?

    /// Starts recording `supervisor` into `recorder`.
    public init(supervisor: Supervisor, recorder: Recorder, keyframeInterval: Duration = .seconds(1),
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
                if self.dirty.exchange(false, ordering: .relaxed) || sinceKeyframe >= keyframeInterval {
                    self.keyframe()
                    sinceKeyframe = .zero
                }
                try? await Task.sleep(for: changeThrottle)
            }
        }
        task.withLock { $0 = started }
    }

    /// Writes a keyframe now.
    public func keyframe() {
        guard let supervisor else { return }
        recorder.recordSnapshot(supervisor.snapshot())
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
