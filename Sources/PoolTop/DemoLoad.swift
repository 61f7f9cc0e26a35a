import AsyncMachine
import AsyncMachineNode
import Logging
import Synchronization

/// Demo clients for the embedded pool: each takes a worker, runs a few jobs on it with
/// pauses, gives it back, rests and starts over, so a new user sees workers go busy and
/// idle (and, with the demo worker's error rate, fail now and then).
final class DemoLoad: Sendable {
    private let clients: Int
    private let logger: Logger
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(clients: Int, logger: Logger) {
        self.clients = clients
        self.logger = logger
    }

    func start(supervisor address: String) {
        let started = (0..<clients).map { index in
            Task { [logger] in
                // Stagger the clients so the pool does not move in lockstep.
                try? await Task.sleep(for: .milliseconds(300 * index))
                var round = 0
                while !Task.isCancelled {
                    round += 1
                    await Self.session(name: "demo-\(index + 1)-\(round)", supervisor: address, logger: logger)
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 800...2_500)))
                }
            }
        }
        tasks.withLock { $0 = started }
    }

    func stop() async {
        let running = tasks.withLock { t in
            defer { t = [] }
            return t
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    /// One client visit: connect, get a worker, run 1-4 jobs, leave.
    private static func session(name: String, supervisor: String, logger: Logger) async {
        var quiet = logger
        quiet.logLevel = .critical
        let client = NodeClient(configuration: .init(name: name, supervisors: [supervisor], connTimeout: .seconds(3), logger: quiet))
        do {
            try await client.start()
            let worker = try await client.requestWorker()
            for job in 1...Int.random(in: 1...4) {
                guard !Task.isCancelled else { break }
                _ = try await worker.add1(.workRequested, ["input": .int(job)])
                try await worker.mirror.when1(.idle, timeout: .seconds(5))
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1_200)))
            }
        } catch {
            // A busy or stopping pool refuses now and then; the next round tries again.
        }
        await client.stop()
    }
}
