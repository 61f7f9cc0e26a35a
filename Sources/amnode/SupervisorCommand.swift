import ArgumentParser
import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Dispatch
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `amnode supervisor`: runs a supervisor until SIGTERM or SIGINT, then reaps every worker.
struct SupervisorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor",
        abstract: "Run a supervisor that keeps a pool of workers.",
        discussion: """
            Workers are started as WORKER COMMAND -a <bootstrap address> (default: this \
            binary's built-in demo worker). The pool keeps min(max, min + warm) workers, \
            replaces any that exit, and hands idle ones to clients (amnode client). SIGTERM \
            or SIGINT stops it: every worker is terminated and reaped first.
            """
    )

    @Option(help: ArgumentHelp("Address clients connect to.", valueName: "host:port"))
    var listen = "127.0.0.1:7810"

    @Option(help: "Worker kind.")
    var kind = "demo"

    @Option(help: "Ready workers needed for PoolReady.")
    var min = 2

    @Option(help: "Most workers.")
    var max = 10

    @Option(help: "Idle workers kept above min.")
    var warm = 5

    @Option(help: "Most workers one client may hold (default: max).")
    var maxClientWorkers: Int?

    @Option(help: ArgumentHelp("Address operators (amnode status, pooltop --attach) connect to. Default: the --listen port + 1.", valueName: "host:port"))
    var `operator`: String?

    @Option(help: ArgumentHelp("The operator token file: read if it exists, else a new token is written there (mode 0600). AM_NODE_TOKEN overrides.", valueName: "path"))
    var tokenFile = "amnode-supervisor.token"

    @Option(help: ArgumentHelp("Record every transition, keyframe and action of the pool into this new file (see docs/recording.md; read it with amnode replay or pooltop --replay).", valueName: "path"))
    var record: String?

    @Argument(parsing: .postTerminator, help: "The worker command (after --).")
    var workerCommand: [String] = []

    mutating func run() async throws {
        Signals.unblockAll()
        guard let (host, port) = NodeAddress.parse(listen) else { throw ValidationError("--listen must be host:port") }
        let command = workerCommand.isEmpty ? [ProcessLauncher.ownExecutable(), "worker", "--kind", kind] : workerCommand
        var logger = Logger(label: "amnode.supervisor")
        logger.logLevel = .info
        let supervisor = Supervisor(configuration: .init(
            kind: kind, workerCommand: command, max: max, min: min, warm: warm, maxClientWorkers: maxClientWorkers,
            publicHost: host, publicPort: port, logger: logger))
        let token = try getenv(OperatorToken.environmentVariable).map { String(cString: $0) } ?? OperatorToken.loadOrCreate(at: tokenFile)
        let operatorAddress = `operator` ?? "\(host):\(port == 0 ? 0 : port + 1)"
        guard let (operatorHost, operatorPort) = NodeAddress.parse(operatorAddress) else {
            throw ValidationError("--operator must be host:port")
        }
        let operators = OperatorEndpoint(supervisor: supervisor, host: operatorHost, port: operatorPort, token: token)
        let recording = try record.map { path in
            let recorder = try Recorder(path: path, header: .pool(supervisor, tool: "amnode", toolVersion: AMNode.version),
                                        configuration: .init(logger: logger))
            return PoolRecording(supervisor: supervisor, recorder: recorder)
        }
        let stop = Signals.onTermination()
        try await supervisor.start()
        try await operators.start()
        print("supervisor \(supervisor.name) listening on \(supervisor.publicAddress ?? listen), pool target \(Swift.min(max, min + warm))")
        print("operators: \(operators.address ?? operatorAddress) (token in \(tokenFile))")
        if let record { print("recording to \(record)") }
        fflush(nil)
        let signal = await stop.value
        print("signal \(signal): stopping \(supervisor.workers().count) workers")
        fflush(nil)
        await operators.stop()
        await supervisor.stop()
        recording?.stop()
    }

}

/// Termination signals for command-line processes.
enum Signals {
    /// A parent may have spawned us with signals blocked (swift-notes P10): unblock all.
    static func unblockAll() {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
    }

    /// A task that finishes with the first SIGTERM or SIGINT received.
    static func onTermination() -> Task<Int32, Never> {
        Task {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                let fired = SignalLatch(continuation)
                for sig in [SIGTERM, SIGINT] {
                    signal(sig, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                    source.setEventHandler { fired.fire(sig) }
                    source.resume()
                    fired.keep(source)
                }
            }
        }
    }
}

import Synchronization

/// Resumes once, whichever signal comes first; keeps the sources alive.
private final class SignalLatch: Sendable {
    private let state: Mutex<(CheckedContinuation<Int32, Never>?, [any DispatchSourceSignal])>

    init(_ continuation: CheckedContinuation<Int32, Never>) { state = Mutex((continuation, [])) }

    func keep(_ source: any DispatchSourceSignal) { state.withLock { $0.1.append(source) } }

    func fire(_ signal: Int32) {
        let continuation = state.withLock { s -> CheckedContinuation<Int32, Never>? in
            defer { s.0 = nil }
            return s.0
        }
        continuation?.resume(returning: signal)
    }
}
