import ArgumentParser
import AsyncMachine
import AsyncMachineNode
import Foundation
import Logging
import PoolTop
import Synchronization

struct DashboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "pooltop: frame render time with 1,000 workers, and the time from a worker's transition to the changed cell.",
        discussion: """
            render: DashboardRenderer.render of a pool of --workers workers at 120x40 and \
            80x24 (target <= 2 ms). latency: the real dashboard loop (DashboardApp at 30 \
            frames a second) over an embedded pool and over an operator connection on \
            127.0.0.1; a client starts a job on its worker and the clock runs until a frame \
            shows that worker busy (targets <= 100 ms embedded, <= 250 ms attached).
            """)

    @Option(help: "Workers in the rendered pool.")
    var workers = 1_000

    @Option(help: "Frames rendered per size (the median is reported).")
    var frames = 500

    @Option(help: "Jobs timed per latency mode.")
    var jobs = 30

    mutating func run() async throws {
        for (width, height) in [(120, 40), (80, 24)] { print(render(width: width, height: height)) }
        var verified = true
        for attached in [false, true] {
            let (line, ok) = try await latency(attached: attached)
            print(line)
            verified = verified && ok
        }
        if !verified { throw ExitCode(1) }
    }

    private func render(width: Int, height: Int) -> String {
        var model = DashboardModel(mode: .embedded)
        model.resize(width: width, height: height)
        let now = wallClockNanoseconds()
        model.apply(.snapshot(Self.pool(workers: workers, at: now)))
        var times: [Double] = []
        var screen = Screen(width: 0, height: 0)
        for i in 0..<frames {
            if i % 50 == 0 { _ = model.handle(.down) }
            let start = nowNanos()
            screen = DashboardRenderer.render(model, width: width, height: height, now: now)
            times.append(Double(nowNanos() - start) / 1e6)
        }
        var line = JSONLine()
        line.add("bench", "dashboard")
        line.add("name", "render")
        line.add("workers", workers)
        line.add("size", "\(width)x\(height)")
        line.add("median_ms", median(times), decimals: 3)
        line.add("max_ms", times.max() ?? 0, decimals: 3)
        // The frame shows the pool and keeps the selected worker (moved down as it went) in view.
        let selected = model.selectedWorker ?? "-"
        line.add("verified", screen.text.contains("actual \(workers)") && screen.text.contains("  \(selected) "))
        return line.text
    }

    /// A pool of `workers` idle workers.
    static func pool(workers: Int, at time: UInt64) -> PoolSnapshot {
        PoolSnapshot(
            seq: 1, takenAt: time, supervisor: "bench", kind: "bench",
            pool: .init(min: workers, max: workers, warm: 0, target: workers, maxClientWorkers: workers, heartbeatMilliseconds: 60_000),
            flags: .init(poolReady: true, normalizingPool: false, poolNormalized: true, workersAvailable: true, ready: true, errPool: false),
            counters: .init(forked: workers, gone: 0, killed: 0, errors: 0),
            workers: (1...max(1, workers)).map { n in
                PoolSnapshot.Worker(
                    id: "w\(n)", workerId: "nw-bench-\(n)", pid: Int32(10_000 + n), state: .idle, activeStates: ["Start", "Ready", "Idle"],
                    errors: n % 97 == 0 ? 2 : 0, lastError: nil, lastHealthcheckAgeMilliseconds: 1_200, healthcheckRoundTripMicroseconds: 900,
                    client: nil, uptimeMilliseconds: 60_000, localAddress: "127.0.0.1:1", publicAddress: "127.0.0.1:2")
            },
            clients: [])
    }

    /// Runs the dashboard loop on its own thread over an embedded or attached feed, and
    /// times jobs from the client's request to the first frame showing the worker busy.
    private func latency(attached: Bool) async throws -> (String, Bool) {
        var logger = Logger(label: "bench.dashboard")
        logger.logLevel = .critical
        let embedded = EmbeddedFeed(configuration: .init(supervisor: .init(
            kind: "dashbench", workerCommand: [ProcessLauncher.ownExecutable(), "worker", "--latency", "300"],
            max: 3, min: 2, warm: 0, logger: logger)))
        try await embedded.start()
        let supervisor = embedded.supervisor
        var endpoint: OperatorEndpoint?
        var feed: any PoolFeed = embedded
        if attached {
            let e = OperatorEndpoint(supervisor: supervisor, token: "bench")
            try await e.start()
            let port = Int(e.address?.split(separator: ":").last ?? "") ?? 0
            let remote = RemoteFeed(host: "127.0.0.1", port: port, token: "bench", logger: logger)
            try await remote.start()
            endpoint = e
            feed = remote
        }
        let terminal = ProbeTerminal(width: 120, height: 40)
        let app = DashboardApp(feed: feed, model: DashboardModel(mode: attached ? .attached(address: "bench") : .embedded), terminal: terminal)
        let done = DispatchSemaphore(value: 0)
        // The loop owns the app on its thread; only requestStop() crosses over, and it is atomic.
        let box = AppBox(app: app)
        let thread = Thread {
            box.app.run()
            done.signal()
        }
        thread.start()
        let client = NodeClient(configuration: .init(name: "dashbench", supervisors: [supervisor.publicAddress ?? ""], logger: logger))
        try await client.start()
        try await waitFor { supervisor.workers(.idle).count >= 2 }
        let worker = try await client.requestWorker()
        let id = try await waitForAssignedWorker(supervisor)
        var times: [Double] = []
        var failures = 0
        for n in 0..<jobs {
            try await worker.mirror.when1(.idle, timeout: .seconds(5))
            try await Task.sleep(for: .milliseconds(100))
            // Wait until the dashboard shows the worker not busy, then time the change.
            guard await terminal.wait(for: id, busy: false, timeout: .seconds(5)) != nil else { failures += 1; continue }
            let start = wallClockNanoseconds()
            terminal.arm(worker: id)
            _ = try await worker.add1(.workRequested, ["input": .int(n)])
            if let seen = await terminal.wait(for: id, busy: true, timeout: .seconds(2)) {
                times.append(Double(seen - start) / 1e6)
            } else {
                failures += 1
            }
        }
        await client.stop()
        app.requestStop()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                done.wait()
                c.resume()
            }
        }
        await feed.stop()
        await endpoint?.stop()
        await embedded.stop()
        let sorted = times.sorted()
        var line = JSONLine()
        line.add("bench", "dashboard")
        line.add("name", attached ? "transition_to_cell_attached" : "transition_to_cell_embedded")
        line.add("jobs", times.count)
        line.add("median_ms", median(times), decimals: 1)
        line.add("p95_ms", sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, sorted.count * 95 / 100)], decimals: 1)
        line.add("max_ms", sorted.last ?? .nan, decimals: 1)
        line.add("failures", failures)
        line.add("verified", failures == 0 && !times.isEmpty)
        return (line.text, failures == 0 && !times.isEmpty)
    }

    private func waitForAssignedWorker(_ supervisor: Supervisor) async throws -> String {
        for _ in 0..<200 {
            if let w = supervisor.snapshot().workers.first(where: { $0.client != nil }) { return w.id }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchSetupError("no worker was assigned to the client")
    }
}

private struct AppBox: @unchecked Sendable {
    let app: DashboardApp
}

/// A terminal for the benchmark: waits like a real one between keys, and notes when a
/// frame first shows the watched worker's row busy or not busy.
private final class ProbeTerminal: TerminalBackend, @unchecked Sendable {
    let size: TerminalSize
    private let seen = Mutex<(worker: String?, busy: UInt64?, notBusy: UInt64?)>((nil, nil, nil))

    init(width: Int, height: Int) { size = TerminalSize(width: width, height: height) }

    func arm(worker: String) { seen.withLock { $0 = (worker, nil, nil) } }

    func draw(_ screen: Screen) {
        let now = wallClockNanoseconds()
        seen.withLock { s in
            guard let worker = s.worker else { return }
            for row in 0..<screen.height {
                let line = screen.line(row)
                let fields = line.split(separator: " ")
                guard fields.first == Substring(worker) || fields.dropFirst().first == Substring(worker) else { continue }
                if fields.contains("busy") {
                    if s.busy == nil { s.busy = now }
                } else if s.notBusy == nil {
                    s.notBusy = now
                }
            }
        }
    }

    /// When a frame (after `arm`) showed the worker busy (or not), waiting up to `timeout`.
    func wait(for worker: String, busy: Bool, timeout: Duration) async -> UInt64? {
        if seen.withLock({ $0.worker }) != worker { arm(worker: worker) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let t = seen.withLock({ busy ? $0.busy : $0.notBusy }) { return t }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    func readKey(timeoutMilliseconds: Int) -> Key? {
        usleep(UInt32(max(0, timeoutMilliseconds)) * 1_000)
        return nil
    }

    func close() {}
}
