import AsyncMachine
import Foundation
import AsyncMachineRPC
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keeps a pool of worker processes of one kind: forks them through a bootstrap
/// rendezvous, links to each over aRPC, keeps the pool at its target size
/// (min(Max, Min + Warm)), notices any exit at once and replaces the worker, and
/// terminates and reaps every worker when it stops.
public final class Supervisor: Sendable {
    public struct Configuration: Sendable {
        /// The kind of worker this supervisor runs.
        public var kind: String
        /// The worker command; `-a <bootstrap address>` is appended.
        public var workerCommand: [String]
        /// Most workers (the seed's Max). Default 10.
        public var max: Int
        /// Ready workers needed for PoolReady (Min). Default 2.
        public var min: Int
        /// Workers kept above Min (Warm). Default 5.
        public var warm: Int
        /// Time a worker has to report, and the supervisor to link to it (ConnTimeout). Default 5 s.
        public var connTimeout: Duration
        /// Pause after `forkFailureLimit` workers in a row failed before becoming ready
        /// (PoolPause). Default 5 s.
        public var poolPause: Duration
        /// Workers in a row that may fail before becoming ready before ErrPool and a pause.
        /// Default 3.
        public var forkFailureLimit: Int
        /// Time a worker has to exit after SIGTERM before SIGKILL. Default 2 s.
        public var stopGrace: Duration
        /// Most workers one client may hold at once (MaxClientWorkers). nil: Max.
        public var maxClientWorkers: Int?
        /// How often every worker is healthchecked (Heartbeat). Default 1 min.
        public var heartbeat: Duration
        /// Pause between the tries of one healthcheck (HealthcheckPause). Default 500 ms.
        public var healthcheckPause: Duration
        /// Time one healthcheck (or any operation on a worker) may take (OpTimeout). Default 1 s.
        public var opTimeout: Duration
        /// Errors are forgotten after this long (WorkerErrTtl). Default 10 min.
        public var workerErrTtl: Duration
        /// A worker with an error this recent is not handed to clients (WorkerErrRecent).
        /// Default 1 min.
        public var workerErrRecent: Duration
        /// A worker with this many errors within WorkerErrTtl is killed (WorkerErrKill). Default 3.
        public var workerErrKill: Int
        /// In-process fork for tests (the seed's TestFork): called with the bootstrap address
        /// instead of starting a process; it must start a ``Worker`` reporting there.
        public var testFork: (@Sendable (_ bootstrap: String) async throws -> Void)?
        /// In-process kill for tests (TestKill): called with the worker's id (its
        /// `WorkerInfo.workerId`) instead of signalling a process.
        public var testKill: (@Sendable (_ workerId: String) async -> Void)?
        /// Where clients connect (the public endpoint). Default 127.0.0.1, port 0 (any free).
        public var publicHost: String
        public var publicPort: Int
        public var logger: Logger

        public init(
            kind: String, workerCommand: [String], max: Int = 10, min: Int = 2, warm: Int = 5,
            connTimeout: Duration = .seconds(5), poolPause: Duration = .seconds(5), forkFailureLimit: Int = 3,
            stopGrace: Duration = .seconds(2), maxClientWorkers: Int? = nil, publicHost: String = "127.0.0.1",
            publicPort: Int = 0, heartbeat: Duration = .seconds(60), healthcheckPause: Duration = .milliseconds(500),
            opTimeout: Duration = .seconds(1), workerErrTtl: Duration = .seconds(600), workerErrRecent: Duration = .seconds(60),
            workerErrKill: Int = 3, testFork: (@Sendable (String) async throws -> Void)? = nil,
            testKill: (@Sendable (String) async -> Void)? = nil, logger: Logger = Supervisor.defaultLogger()
        ) {
            self.testFork = testFork
            self.testKill = testKill
            self.heartbeat = heartbeat
            self.healthcheckPause = healthcheckPause
            self.opTimeout = opTimeout
            self.workerErrTtl = workerErrTtl
            self.workerErrRecent = workerErrRecent
            self.workerErrKill = workerErrKill
            self.maxClientWorkers = maxClientWorkers
            self.publicHost = publicHost
            self.publicPort = publicPort
            self.kind = kind
            self.workerCommand = workerCommand
            self.max = max
            self.min = min
            self.warm = warm
            self.connTimeout = connTimeout
            self.poolPause = poolPause
            self.forkFailureLimit = forkFailureLimit
            self.stopGrace = stopGrace
            self.logger = logger
        }

        /// Workers the pool keeps: min(Max, Min + Warm).
        public var target: Int { Swift.min(max, min + warm) }
        /// Ready workers PoolReady needs: min(Min, Max).
        public var readyNeeded: Int { Swift.min(min, max) }
        /// MaxClientWorkers with its default.
        public var clientWorkerLimit: Int { maxClientWorkers ?? max }
    }

    /// The environment variable that turns on the supervisor's debug log (the seed's
    /// EnvAmNodeLogSupervisor).
    public static let logVariable = "AM_NODE_LOG_SUPERVISOR"

    /// A logger at debug level when `AM_NODE_LOG_SUPERVISOR` is set, else at info.
    public static func defaultLogger() -> Logger {
        var logger = Logger(label: "asyncmachine.node.supervisor")
        logger.logLevel = getenv(logVariable) != nil ? .debug : .info
        return logger
    }

    public let name: String
    public let machine: Machine
    /// The public endpoint: clients mirror the supervisor's machine through it, request
    /// workers, and get the worker's address as a payload.
    public let publicServer: RPCServer
    let configuration: Mutex<Configuration>
    let launcher: ProcessLauncher
    let state = Mutex(PoolState())

    struct PoolState: Sendable {
        var workers: [String: WorkerRecord] = [:]
        var nextNumber = 1
        var started = false
        var stopped = false
        var failuresInARow = 0
        var pausedUntil: ContinuousClock.Instant?
        var lastFailure = ""
        var heartbeat: Task<Void, Never>?
        var snapshotSeq: UInt64 = 0
        var observers: [@Sendable () -> Void] = []
        var mirrorObservers: [@Sendable (String, Machine) -> Void] = []
        var actionObservers: [@Sendable (OperatorAction) -> Void] = []
    }

    /// Calls `body` with every worker's mirror (the supervisor's view of its machine):
    /// those linked now, and each one linked later.
    public func observeWorkerMirrors(_ body: @escaping @Sendable (_ worker: String, _ mirror: Machine) -> Void) {
        let existing = state.withLock { s -> [(String, Machine)] in
            s.mirrorObservers.append(body)
            return s.workers.values.compactMap { r in r.read(\.net).map { (r.id, $0.mirror) } }
        }
        for (id, mirror) in existing { body(id, mirror) }
    }

    /// Calls `body` after every change an operator would see (pool states, worker states).
    public func observeChanges(_ body: @escaping @Sendable () -> Void) {
        state.withLock { $0.observers.append(body) }
    }

    func notifyObservers() {
        for observer in state.withLock({ $0.observers }) { observer() }
    }

    public init(configuration: Configuration, launcher: ProcessLauncher = .shared) {
        self.name = "\(configuration.kind)-\(getpid())"
        self.machine = Machine(.supervisor, id: "ns-\(name)", configuration: .init(logger: configuration.logger))
        self.configuration = Mutex(configuration)
        self.launcher = launcher
        self.publicServer = RPCServer(
            source: machine,
            configuration: .init(host: configuration.publicHost, port: configuration.publicPort, id: "rs-ns-pub-\(name)"))
        bindProvideWorker()
    }

    /// The public endpoint's `host:port`, once started.
    /// The command each worker is started with.
    public var workerCommand: [String] { configuration.withLock { $0.workerCommand } }

    public var publicAddress: String? {
        publicServer.port.map { "\(publicServer.configuration.host):\($0)" }
    }

    var logger: Logger { configuration.withLock { $0.logger } }

    /// Starts the public endpoint and the pool.
    public func start() async throws {
        let fresh = state.withLock { s -> Bool in
            defer { s.started = true }
            return !s.started
        }
        guard fresh else { return }
        machine.add1(.start)
        do {
            try await publicServer.start()
        } catch {
            machine.addErrState(.errNetwork, error)
            machine.remove1(.start)
            throw error
        }
        normalize()
        startHeartbeat()
    }

    /// Terminates every worker (SIGTERM, then SIGKILL after the grace period), waits until
    /// each has been reaped, and stops the pool. Safe at any moment, also right after start.
    public func stop() async {
        let (records, grace) = state.withLock { s -> ([WorkerRecord], Duration) in
            s.stopped = true
            s.heartbeat?.cancel()
            return (Array(s.workers.values), configuration.withLock { $0.stopGrace })
        }
        let testKill = configuration.withLock { $0.testKill }
        await withTaskGroup(of: Void.self) { group in
            for record in records {
                group.addTask {
                    // An in-process worker has no process to exit: end it and report it here.
                    if let testKill, record.read(\.process) == nil, !record.read(\.workerId).isEmpty {
                        await testKill(record.read(\.workerId))
                        self.exited(record, ProcessExit(pid: 0, exitCode: 0, signal: nil, stderrTail: ""))
                    } else {
                        await record.shutDown(grace: grace)
                    }
                }
            }
        }
        // Forks that were starting when stop began are reaped by their own tasks; wait for them.
        while state.withLock({ !$0.workers.isEmpty }) {
            let pending = state.withLock { Array($0.workers.values) }
            for record in pending { await record.shutDown(grace: grace) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        await publicServer.stop()
        machine.remove1(.start)
    }

    /// The workers, optionally only those in one listing state.
    public func workers(_ listing: WorkerState? = nil) -> [WorkerInfo] {
        let records = state.withLock { Array($0.workers.values) }
        return records.map(\.info).filter { listing == nil || $0.state == listing }.sorted { $0.number < $1.number }
    }

    /// Sets the pool sizes (the seed's SetPool): max < min makes min = max. Then
    /// normalises the pool.
    public func setPool(min: Int, max: Int, warm: Int) {
        configuration.withLock { c in
            c.max = Swift.max(0, max)
            c.min = Swift.min(Swift.max(0, min), c.max)
            c.warm = Swift.max(0, warm)
        }
        checkPool()
    }

    /// Re-evaluates PoolReady and WorkersAvailable, and forks what is missing.
    public func checkPool() {
        updateFlags()
        normalize()
    }

    // MARK: Pool

    func normalize() {
        let (target, count, paused, stopped) = state.withLock { s -> (Int, Int, Bool, Bool) in
            let live = s.workers.values.filter { !$0.isLeaving }.count
            let paused = s.pausedUntil.map { ContinuousClock.now < $0 } ?? false
            return (configuration.withLock { $0.target }, live, paused, s.stopped)
        }
        guard !stopped, machine.is1(.start) else { return }
        if count >= target {
            if workers().allSatisfy({ $0.state == .ready || $0.state == .idle || $0.state == .busy }) {
                machine.add1(.poolNormalized)
            }
            return
        }
        machine.add1(.normalizingPool)
        guard !paused else { return }
        for _ in count..<target { fork() }
    }

    func updateFlags() {
        defer { notifyObservers() }
        let infos = workers()
        let needed = configuration.withLock { $0.readyNeeded }
        let ready = infos.filter { $0.state == .ready || $0.state == .idle || $0.state == .busy }.count
        if ready >= needed && machine.is1(.start) {
            machine.add1(.poolReady)
        } else if machine.is1(.poolReady) {
            machine.add1(.poolStarting)
        }
        let available = infos.contains { $0.state == .idle }
        if available { machine.add1(.workersAvailable) } else { machine.remove1(.workersAvailable) }
    }

    // MARK: Forking

    private func fork() {
        let (number, command, timeout) = state.withLock { s -> (Int, [String], Duration) in
            defer { s.nextNumber += 1 }
            let c = configuration.withLock { $0 }
            return (s.nextNumber, c.workerCommand, c.connTimeout)
        }
        let id = "w\(number)"
        let record = WorkerRecord(id: id, number: number)
        state.withLock { $0.workers[id] = record }
        machine.add1(.forkWorker, ["worker": .string(id)])
        Task { await self.bringUp(record, command: command, timeout: timeout) }
    }

    private func bringUp(_ record: WorkerRecord, command: [String], timeout: Duration) async {
        let bootstrap = Bootstrap(id: "\(name)-\(record.id)")
        do {
            try await bootstrap.start()
        } catch {
            return failed(record, reason: "bootstrap could not listen: \(error)")
        }
        // stop() may have run while the bootstrap started: then no process at all.
        guard state.withLock({ !$0.stopped }) else {
            await bootstrap.stop()
            state.withLock { $0.workers[record.id] = nil }
            return
        }
        if let testFork = configuration.withLock({ $0.testFork }) {
            return await bringUpInProcess(record, bootstrap: bootstrap, fork: testFork, timeout: timeout)
        }
        let process: LaunchedProcess
        do {
            var environment = ProcessInfo.processInfo.environment
            environment[Worker.supervisorPidVariable] = String(getpid())
            process = try launcher.launch(command + ["-a", bootstrap.address], environment: environment) { [weak self] exit in
                self?.exited(record, exit)
            }
        } catch {
            await bootstrap.stop()
            return failed(record, reason: "\(error)")
        }
        record.update { $0.process = process }
        // ...or while it launched: stop() waits for this record, so end the process now.
        if state.withLock({ $0.stopped }) {
            record.update { $0.leaving = true }
            process.forceKill()
            await bootstrap.stop()
            return
        }
        await linkReported(record, bootstrap: bootstrap, process: process, timeout: timeout)
    }

    /// From the worker's report to a linked worker: shared by real and in-process forks.
    /// On failure the process (if any) is killed; its exit cleans up. Without a process
    /// the failure is reported at once.
    func linkReported(_ record: WorkerRecord, bootstrap: Bootstrap, process: LaunchedProcess?, timeout: Duration) async {
        func abandon(_ reason: String) {
            record.update { w in if w.failure == nil { w.failure = reason } }
            if let process { process.forceKill() } else { failed(record, reason: reason) }
        }
        let report: Args
        do {
            report = try await bootstrap.waitForReport(timeout: timeout)
        } catch {
            await bootstrap.stop()
            if process?.isRunning ?? true { abandon("did not report within \(timeout)") }
            return
        }
        await bootstrap.finish()
        guard let reported = try? NodeArgs(args: report), let localAddr = reported.localAddr,
            let local = NodeAddress.parse(localAddr)
        else {
            return abandon("reported no local address")
        }
        record.update { w in
            w.phase = .rpc
            w.localAddress = localAddr
            w.publicAddress = reported.publicAddr ?? ""
            w.workerId = reported.id ?? ""
        }
        machine.add1(.workerConnected, ["worker": .string(record.id)])
        let client = RPCClient(
            host: local.host, port: local.port,
            configuration: .init(id: "rc-\(name)-\(record.id)", connectTimeout: timeout, callTimeout: timeout, connectRetries: 2, reconnect: false))
        let net: NetMachine
        do {
            net = try await client.connect()
        } catch {
            return abandon("could not link to the worker: \(error)")
        }
        record.update { w in
            w.client = client
            w.net = net
        }
        guard !record.isLeaving, state.withLock({ !$0.stopped }) else {
            await client.close()
            // Without a process no exit will remove the record: do it here.
            if process == nil { state.withLock { $0.workers[record.id] = nil } }
            return
        }
        machine.add1(.workerForked, ["worker": .string(record.id)])
        for observer in state.withLock({ $0.mirrorObservers }) { observer(record.id, net.mirror) }
        net.mirror.onState(.ready) { [weak self] _ in self?.ready(record) }
        // The client the worker served has left: the worker goes back to the pool.
        net.mirror.onEnd(.clientConnected) { [weak self] _ in self?.release(record) }
        net.mirror.onAnyState { [weak self] _ in self?.updateFlags() }
        // The link is the supervisor's view of the worker: losing it ends the worker.
        client.machine.onEnd(.ready) { _ in
            record.update { w in if w.failure == nil { w.failure = "lost the RPC link" } }
            process?.terminate()
        }
        if net.mirror.is1(.ready) { ready(record) }
    }

    private func ready(_ record: WorkerRecord) {
        guard record.markReady() else { return }
        state.withLock { $0.failuresInARow = 0 }
        machine.add1(.workerReady, ["worker": .string(record.id)])
        updateFlags()
        normalize()
    }

    func failed(_ record: WorkerRecord, reason: String) {
        state.withLock { $0.workers[record.id] = nil }
        machine.addErrState(.errWorker, NodeError.workerExited(reason), ["worker": .string(record.id)])
        countFailure(reason)
    }

    private func exited(_ record: WorkerRecord, _ exit: ProcessExit) {
        let (failure, everReady, requested) = record.read { ($0.failure, $0.wasReady, $0.leaving) }
        state.withLock { $0.workers[record.id] = nil }
        if let client = record.read(\.client) { Task { await client.close() } }
        // The error (or the confirmation of a requested kill) comes before WorkerGone, so
        // whoever reacts to WorkerGone sees why.
        let reason = failure.map { "\($0) (\(exit))" } ?? exit.description
        if requested {
            machine.add1(.workerKilled, ["worker": .string(record.id)])
        } else {
            machine.addErrState(.errWorker, NodeError.workerExited(reason), ["worker": .string(record.id)])
        }
        machine.add1(.workerGone, ["worker": .string(record.id), "exit": .string(exit.description)])
        updateFlags()
        if !requested && !everReady { return countFailure(reason) }
        normalize()
    }

    /// Workers failing before they are ever ready count up. Each failure retries after a
    /// growing delay (100 ms per failure in a row); at the limit the pool says ErrPool and
    /// pauses forking for PoolPause. A command that cannot start costs at most one round
    /// of forks, never a storm.
    private func countFailure(_ reason: String) {
        let (delay, limitReached) = state.withLock { s -> (Duration, Bool) in
            s.failuresInARow += 1
            s.lastFailure = reason
            let c = configuration.withLock { $0 }
            if let paused = s.pausedUntil, ContinuousClock.now < paused { return (.zero, false) }
            // Other forks of this round still starting: the last of them decides.
            let inFlight = s.workers.values.contains { !$0.isLeaving && !$0.read(\.wasReady) }
            guard s.failuresInARow >= c.forkFailureLimit else {
                return (inFlight ? .zero : .milliseconds(100) * s.failuresInARow, false)
            }
            s.failuresInARow = 0
            s.pausedUntil = .now + c.poolPause
            return (c.poolPause, true)
        }
        if limitReached {
            machine.addErrState(.errPool, NodeError.workerExited("workers keep failing: \(reason)"))
        }
        guard delay > .zero else { return }
        Task { [weak self] in
            try? await Task.sleep(for: delay)
            self?.normalize()
        }
    }

    /// Forks `count` workers beyond the target (up to Max); returns how many it forked.
    @discardableResult
    public func forkWorkers(_ count: Int) -> Int {
        let (live, max) = state.withLock { s in (s.workers.values.filter { !$0.isLeaving }.count, configuration.withLock { $0.max }) }
        let forking = Swift.max(0, Swift.min(count, max - live))
        for _ in 0..<forking { fork() }
        return forking
    }

    /// Takes a worker out of the pool gently: no new client gets it, and it is ended
    /// (SIGTERM) once its current client leaves (at once when it has none).
    @discardableResult
    public func drain(_ id: String) -> Bool {
        guard let record = state.withLock({ $0.workers[id] }) else { return false }
        record.update { $0.draining = true }
        if record.read(\.assignedClient) == nil { return kill(id) }
        return true
    }

    // MARK: Killing

    /// Kills worker `id`: SIGTERM (then SIGKILL after the grace period), or SIGKILL at
    /// once with `force`. The pool then forks a replacement.
    @discardableResult
    public func kill(_ id: String, force: Bool = false) -> Bool {
        kill(id, force: force, counted: false)
    }

    /// `counted`: killed for its errors (its exit is then an error, not a requested kill).
    @discardableResult
    func kill(_ id: String, force: Bool, counted: Bool) -> Bool {
        guard let record = state.withLock({ $0.workers[id] }) else { return false }
        if let testKill = configuration.withLock({ $0.testKill }), record.read(\.process) == nil {
            record.update { $0.leaving = !counted }
            machine.add1(.killingWorker, ["worker": .string(id), "force": .bool(force)])
            let workerId = record.read(\.workerId)
            Task {
                await testKill(workerId)
                self.exited(record, ProcessExit(pid: 0, exitCode: 0, signal: nil, stderrTail: ""))
            }
            return true
        }
        guard let process = record.read(\.process) else { return false }
        record.update { $0.leaving = !counted }
        machine.add1(.killingWorker, ["worker": .string(id), "force": .bool(force)])
        if force {
            process.forceKill()
        } else {
            let grace = configuration.withLock { $0.stopGrace }
            Task { await process.stop(grace: grace) }
        }
        return true
    }
}
