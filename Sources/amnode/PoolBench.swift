import ArgumentParser
import AsyncMachine
import AsyncMachineNode
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `amnode bench pool`: the supervisor with real worker processes (this binary's worker).
struct PoolBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Supervisor figures with real worker processes: cold start, respawn, provision, idle cost, status.",
        discussion: """
            Workers are this binary's built-in worker (build with -c release). One JSON line \
            per figure; times are medians of --runs runs (respawn: p50/p95 of --kills kills; \
            provision: p50/p99 of --provisions requests). --idle-seconds 0 skips the idle figure.
            """
    )

    @Option(help: "Runs of each cold start and of the kill-all figure.")
    var runs = 5

    @Option(help: "Kills for the respawn figure.")
    var kills = 20

    @Option(help: "Requests for the provision figure.")
    var provisions = 200

    @Option(help: "Seconds of the idle CPU and RSS figure (50 workers, default heartbeat).")
    var idleSeconds = 30

    mutating func run() async throws {
        let worker = [ProcessLauncher.ownExecutable(), "worker"]
        for n in [10, 50] {
            var times: [Double] = []
            for _ in 0..<runs { times.append(try await coldStart(n, worker)) }
            emit("cold_start", ["workers": n, "runs": runs], ["median_ms": median(times)])
        }
        let respawn = try await respawnTimes(worker)
        emit("respawn_after_kill9", ["kills": kills], ["p50_ms": percentileMs(respawn, 0.5), "p95_ms": percentileMs(respawn, 0.95)])
        var killAll: [Double] = []
        for _ in 0..<runs { killAll.append(try await killAllBack(worker)) }
        emit("kill_all_50_back", ["runs": runs], ["median_ms": median(killAll)])
        let provision = try await provisionTimes(worker)
        emit("provision", ["requests": provisions], ["p50_ms": percentileMs(provision, 0.5), "p99_ms": percentileMs(provision, 0.99)])
        if idleSeconds > 0 {
            let (cpu, rss) = try await idle(worker)
            emit("idle_50_workers", ["seconds": idleSeconds], ["cpu_percent": cpu, "rss_mib": rss])
        }
        emit("status_wall_time", ["runs": runs], ["median_ms": try await statusTime(worker)])
    }

    private func emit(_ name: String, _ ints: [String: Int], _ values: [String: Double]) {
        var line = JSONLine()
        line.add("bench", "pool")
        line.add("name", name)
        for (k, v) in ints.sorted(by: { $0.key < $1.key }) { line.add(k, v) }
        for (k, v) in values.sorted(by: { $0.key < $1.key }) { line.add(k, v, decimals: 3) }
        print(line.text)
        fflush(nil)
    }

    private func percentileMs(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }

    private func quietLogger() -> Logger {
        var logger = Logger(label: "bench.pool")
        logger.logLevel = .critical
        return logger
    }

    private func supervisor(_ n: Int, _ worker: [String], warm: Int = 0, heartbeat: Duration = .seconds(60)) -> Supervisor {
        Supervisor(configuration: .init(kind: "bench", workerCommand: worker, max: n + warm, min: n, warm: warm, heartbeat: heartbeat, logger: quietLogger()))
    }

    private func ready(_ s: Supervisor) -> Int { s.workers().filter { [.ready, .idle, .busy].contains($0.state) }.count }

    private func ms(_ d: Duration) -> Double { Double(d.nanosecondsCount) / 1e6 }

    /// From start until n workers are ready, linked and healthchecked.
    private func coldStart(_ n: Int, _ worker: [String]) async throws -> Double {
        let s = supervisor(n, worker)
        let started = ContinuousClock.now
        try await s.start()
        try await waitFor { ready(s) == n }
        await s.heartbeatNow()
        let elapsed = ContinuousClock.now - started
        guard s.workers().allSatisfy({ $0.lastHealthcheckAge != nil }) else { throw BenchSetupError("a healthcheck failed") }
        await s.stop()
        return ms(elapsed)
    }

    private func respawnTimes(_ worker: [String]) async throws -> [Double] {
        let n = 10
        let s = supervisor(n, worker)
        try await s.start()
        try await waitFor { ready(s) == n }
        var times: [Double] = []
        for _ in 0..<kills {
            guard let victim = s.workers().first(where: { $0.state == .idle }), let pid = victim.pid else { throw BenchSetupError("no victim") }
            let started = ContinuousClock.now
            kill(pid, SIGKILL)
            try await waitFor { ready(s) == n && !s.workers().contains { $0.id == victim.id } }
            times.append(ms(ContinuousClock.now - started))
        }
        await s.stop()
        return times
    }

    private func killAllBack(_ worker: [String]) async throws -> Double {
        let n = 50
        let s = supervisor(n, worker)
        try await s.start()
        try await waitFor { ready(s) == n }
        let victims = s.workers()
        let started = ContinuousClock.now
        for v in victims { if let pid = v.pid { kill(pid, SIGKILL) } }
        let old = Set(victims.map(\.id))
        try await waitFor { ready(s) == n && s.workers().allSatisfy { !old.contains($0.id) } }
        let elapsed = ContinuousClock.now - started
        await s.stop()
        return ms(elapsed)
    }

    /// requestWorker until the client is connected to its worker; the worker is released
    /// (and back in the pool) before the next request.
    private func provisionTimes(_ worker: [String]) async throws -> [Double] {
        let s = supervisor(4, worker)
        try await s.start()
        try await waitFor { s.workers(.idle).count == 4 }
        let client = NodeClient(configuration: .init(name: "bench", supervisors: [s.publicAddress ?? ""], logger: quietLogger()))
        try await client.start()
        var times: [Double] = []
        for _ in 0..<provisions {
            try await waitFor { s.machine.is1(.workersAvailable) && client.machine.is1(.superReady) }
            let started = ContinuousClock.now
            _ = try await client.requestWorker()
            times.append(ms(ContinuousClock.now - started))
            await client.releaseWorker()
            try await waitFor { s.workers().allSatisfy { $0.client == nil } }
        }
        await client.stop()
        await s.stop()
        return times
    }

    /// CPU % (of one core) and RSS of an idle `amnode supervisor` process with 50 ready
    /// workers, over idleSeconds: a fresh process, so nothing the earlier figures did counts.
    /// CPU comes from every thread's schedstat (nanoseconds), RSS from VmRSS.
    private func idle(_ worker: [String]) async throws -> (Double, Double) {
        let marker = "idle\(getpid())"
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(marker).token").path
        let supervisor = try ProcessLauncher.shared.launch([
            ProcessLauncher.ownExecutable(), "supervisor", "--listen", "127.0.0.1:0", "--operator", "127.0.0.1:0",
            "--token-file", tokenFile, "--kind", marker, "--min", "50", "--warm", "0", "--max", "50",
        ])
        defer { supervisor.terminate() }
        try await waitFor(.seconds(60)) { processCount(containing: "worker --kind \(marker)") == 50 }
        try await Task.sleep(for: .seconds(3))  // let the pool settle (all ready and linked)
        let before = cpuNanoseconds(of: supervisor.pid)
        try await Task.sleep(for: .seconds(idleSeconds))
        let cpu = Double(cpuNanoseconds(of: supervisor.pid) - before) / Double(idleSeconds) / 1e9 * 100
        let rss = Double(procStatusBytes(String(supervisor.pid), "VmRSS")) / 1_048_576
        _ = await supervisor.stop(grace: .seconds(5))
        return (cpu, rss)
    }

    private func statusTime(_ worker: [String]) async throws -> Double {
        let s = supervisor(2, worker)
        try await s.start()
        let endpoint = OperatorEndpoint(supervisor: s, token: "bench")
        try await endpoint.start()
        try await waitFor { ready(s) == 2 }
        var times: [Double] = []
        for _ in 0..<runs {
            let started = ContinuousClock.now
            var env = ProcessInfo.processInfo.environment
            env[OperatorToken.environmentVariable] = "bench"
            let status = try ProcessLauncher.shared.launch(
                [ProcessLauncher.ownExecutable(), "status", "--supervisor", endpoint.address ?? "", "--json"], environment: env)
            let exit = await status.waitForExit()
            guard exit.isSuccess else { throw BenchSetupError("amnode status failed: \(exit)") }
            times.append(ms(ContinuousClock.now - started))
        }
        await endpoint.stop()
        await s.stop()
        return median(times)
    }
}

/// CPU time of every thread of `pid`, in nanoseconds (first field of each schedstat).
private func cpuNanoseconds(of pid: Int32) -> UInt64 {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.reduce(0) { sum, task in
        let text = (try? readFile("/proc/\(pid)/task/\(task)/schedstat")) ?? ""
        return sum + (text.split(separator: " ").first.flatMap { UInt64($0) } ?? 0)
    }
}

/// Live processes whose command line contains `marker`.
private func processCount(containing marker: String) -> Int {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
        guard Int32(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(marker)
    }.count
}
