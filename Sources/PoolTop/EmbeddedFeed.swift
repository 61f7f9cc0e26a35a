import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Logging
import Synchronization

/// A supervisor running inside the dashboard's process, with optional demo clients and
/// recording. Stopping the feed stops the pool and reaps every worker.
public final class EmbeddedFeed: PoolFeed {
    public struct Configuration: Sendable {
        /// The supervisor's configuration (worker command, pool sizes, ...).
        public var supervisor: Supervisor.Configuration
        /// Demo clients that take workers, run jobs and give them back. Default 0.
        public var demoClients: Int
        /// Record into this new file from the start.
        public var recordPath: String?
        /// Snapshots are refreshed at least this often, so ages and uptimes move. Default 1 s.
        public var refreshInterval: Duration

        public init(supervisor: Supervisor.Configuration, demoClients: Int = 0, recordPath: String? = nil,
                    refreshInterval: Duration = .seconds(1)) {
            self.supervisor = supervisor
            self.demoClients = demoClients
            self.recordPath = recordPath
            self.refreshInterval = refreshInterval
        }
    }

    public let supervisor: Supervisor
    private let configuration: Configuration
    private let tap: PoolEventTap
    private let changed = Atomic<Bool>(true)
    private let lastSnapshot = Mutex<ContinuousClock.Instant?>(nil)
    private let recording = Mutex<PoolRecording?>(nil)
    private let demo: DemoLoad?

    public init(configuration: Configuration) {
        self.configuration = configuration
        supervisor = Supervisor(configuration: configuration.supervisor)
        tap = PoolEventTap.attached(to: supervisor)
        demo = configuration.demoClients > 0 ? DemoLoad(clients: configuration.demoClients, logger: configuration.supervisor.logger) : nil
        supervisor.observeChanges { [weak self] in self?.changed.store(true, ordering: .relaxed) }
    }

    /// Starts recording (when configured), the supervisor and the demo clients.
    public func start() async throws {
        if let path = configuration.recordPath {
            let action = startRecording(to: path)
            if !action.ok { throw RecordingError.io(action.result) }
        }
        try await supervisor.start()
        if let demo, let address = supervisor.publicAddress { demo.start(supervisor: address) }
    }

    public func poll() -> [FeedUpdate] {
        var updates: [FeedUpdate] = []
        let (events, dropped) = tap.take()
        if dropped > 0 {
            updates.append(.events([PoolEvent(kind: .error, time: wallClockNanoseconds(),
                                              error: "the dashboard fell behind and skipped \(dropped) events")]))
        }
        if !events.isEmpty { updates.append(.events(events)) }
        let now = ContinuousClock.now
        let due = lastSnapshot.withLock { last in last.map { now - $0 >= configuration.refreshInterval } ?? true }
        if changed.exchange(false, ordering: .relaxed) || due {
            lastSnapshot.withLock { $0 = now }
            updates.append(.snapshot(supervisor.snapshot()))
        }
        return updates
    }

    public func perform(_ request: ControlRequest) async -> [OperatorAction] {
        request.poolCommands.map { supervisor.perform($0, origin: "dashboard") }
    }

    public func startRecording(to path: String) -> OperatorAction {
        if let current = recording.withLock({ $0 }) {
            return OperatorAction(name: .record, ok: false, result: "already recording to \(current.recorder.path)", origin: "dashboard")
        }
        do {
            let recorder = try Recorder(path: path, header: .pool(supervisor, tool: "pooltop", toolVersion: PoolTopVersion.current),
                                        configuration: .init(logger: configuration.supervisor.logger))
            recording.withLock { $0 = PoolRecording(supervisor: supervisor, recorder: recorder) }
            return OperatorAction(name: .record, ok: true, result: "recording to \(path)", origin: "dashboard")
        } catch {
            return OperatorAction(name: .record, ok: false, result: "\(error)", origin: "dashboard")
        }
    }

    /// Where the current recording goes, if any.
    public var recordingPath: String? { recording.withLock { $0?.recorder.path } }

    public func stop() async {
        await demo?.stop()
        await supervisor.stop()
        recording.withLock { $0 }?.stop()
    }
}

/// The version pooltop writes into recordings.
public enum PoolTopVersion {
    public static let current = "0.6.0"
}
