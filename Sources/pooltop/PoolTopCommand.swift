import ArgumentParser
import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Dispatch
import Foundation
import Logging
import PoolTop

@main
struct PoolTopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pooltop",
        abstract: "The worker-pool dashboard: watch every worker's state, errors and heartbeat; fork, kill and provide by key; replay recordings.",
        discussion: """
            Three ways to run it, with the same screens:

              pooltop                                 an embedded pool, demo clients
              pooltop --attach HOST:PORT --token-file F  an `amnode supervisor`
              pooltop --replay FILE                   a recording (--record)

            With no arguments pooltop starts a supervisor inside itself, with pooltop as the \
            demo worker (so nothing else has to be built) and a few demo clients that take \
            workers, run jobs (some fail) and give them back. Give a worker command after -- \
            to run your own workers instead. Quitting an embedded pool stops every worker.

            Press ? in the dashboard for every key.
            """,
        subcommands: [DemoWorkerCommand.self])

    @Option(help: ArgumentHelp("Watch a running supervisor through its operator endpoint (amnode supervisor --operator).", valueName: "host:port"))
    var attach: String?

    @Option(help: ArgumentHelp("The operator token file for --attach (AM_NODE_TOKEN overrides).", valueName: "path"))
    var tokenFile = "amnode-supervisor.token"

    @Option(help: ArgumentHelp("Play back a recording instead of watching a pool.", valueName: "file"))
    var replay: String?

    @Option(help: ArgumentHelp("Record the embedded pool into this new file.", valueName: "file"))
    var record: String?

    @Flag(help: "Disable every action (fork, kill, provide, pool sizes): watch only.")
    var readonly = false

    @Option(help: "Embedded pool: ready workers needed for PoolReady.")
    var min = 3

    @Option(help: "Embedded pool: most workers.")
    var max = 8

    @Option(help: "Embedded pool: idle workers kept above min.")
    var warm = 2

    @Option(help: "Embedded pool: seconds between heartbeats (healthchecks of every worker).")
    var heartbeat = 5

    @Option(help: "Embedded pool: demo clients taking workers and running jobs (0: none).")
    var demoClients = 3

    @Option(help: "Embedded pool: milliseconds a demo job takes.")
    var demoLatency = 700

    @Option(help: "Embedded pool: fraction of demo jobs that fail, 0 to 1.")
    var demoErrorRate = 0.1

    @Flag(help: "Print every key binding (the table the ? overlay shows) as Markdown and exit.")
    var keys = false

    /// Developer check of the ncurses plumbing (TerminalCheck.swift); not in --help.
    @Flag(help: .hidden) var terminalCheck = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("Embedded pool: the worker command, after -- (default: pooltop's own demo worker).", valueName: "command"))
    var workerCommand: [String] = []

    func validate() throws {
        if attach != nil && replay != nil { throw ValidationError("--attach and --replay exclude each other") }
        if record != nil && (attach != nil || replay != nil) {
            throw ValidationError("--record records an embedded pool; for an attached one use amnode supervisor --record")
        }
        if min < 0 || max < 1 || warm < 0 { throw ValidationError("pool sizes must be --min >= 0, --max >= 1, --warm >= 0") }
        if !(0...1).contains(demoErrorRate) { throw ValidationError("--demo-error-rate must be between 0 and 1") }
    }

    func run() throws {
        if terminalCheck { return try TerminalCheck.run() }
        if keys { return print(Keymap.standard.markdown) }
        // Before anything starts (an embedded pool's workers): without a terminal there is
        // nothing to show it on.
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw TerminalError.notATerminal }
        NcursesTerminal.resetSignalMask()
        var logger = Logger(label: "pooltop")
        // The terminal is the dashboard's; library logs would draw over it.
        logger.logLevel = .critical
        let feed: any PoolFeed
        let mode: DashboardMode
        if let replay {
            feed = try ReplayFeed(path: replay, utcOffsetSeconds: TimeZone.current.secondsFromGMT())
            mode = .replay
        } else if let attach {
            guard let (host, port) = NodeAddress.parse(attach) else { throw ValidationError("--attach must be host:port") }
            let token = try ProcessInfo.processInfo.environment[OperatorToken.environmentVariable] ?? OperatorToken.read(tokenFile)
            let remote = RemoteFeed(host: host, port: port, token: token, logger: logger)
            do {
                try blocking { try await remote.start() }
            } catch {
                throw PoolTopError("cannot attach to \(attach): \(error)")
            }
            feed = remote
            mode = .attached(address: remote.address)
        } else {
            let command = workerCommand.isEmpty
                ? [ProcessLauncher.ownExecutable(), "worker", "--latency", String(demoLatency), "--error-rate", String(demoErrorRate)]
                : workerCommand
            let embedded = EmbeddedFeed(configuration: .init(
                supervisor: .init(kind: "demo", workerCommand: command, max: max, min: min, warm: warm,
                                  heartbeat: .seconds(heartbeat), logger: logger),
                demoClients: demoClients, recordPath: record))
            do {
                try blocking { try await embedded.start() }
            } catch {
                // Whatever started (workers, a recording) is stopped and closed before leaving.
                try? blocking { await embedded.stop() }
                throw error
            }
            feed = embedded
            mode = .embedded
        }
        let terminal: NcursesTerminal
        do {
            terminal = try NcursesTerminal()
        } catch {
            try? blocking { await feed.stop() }
            throw error
        }
        let app = DashboardApp(feed: feed, model: DashboardModel(mode: mode, readonly: readonly, utcOffsetSeconds: TimeZone.current.secondsFromGMT()),
                               terminal: terminal)
        let signal = app.run()
        terminal.close()
        if mode == .embedded { print("pooltop: stopping the pool") }
        try? blocking { await feed.stop() }
        if signal != 0 { throw ExitCode(128 + signal) }
    }
}

/// A failure to start, said plainly (not a usage error: the command line was fine).
struct PoolTopError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `pooltop worker -a ADDR`: pooltop started as the embedded pool's demo worker.
struct DemoWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run the demo worker (started by pooltop's embedded supervisor).", shouldDisplay: false)

    @Option(name: .customShort("a"), help: "The supervisor's bootstrap address.")
    var bootstrap: String

    @Option(help: "Milliseconds each job takes.")
    var latency = 700

    @Option(help: "Fraction of jobs that fail, 0 to 1.")
    var errorRate = 0.0

    func run() throws {
        NcursesTerminal.resetSignalMask()
        var workerLogger = Logger(label: "pooltop.worker")
        workerLogger.logLevel = .warning
        let logger = workerLogger
        try blocking {
            try await DemoWorker.run(bootstrap: bootstrap, latency: .milliseconds(latency), errorRate: errorRate, logger: logger)
        }
    }
}

/// Runs async work from pooltop's synchronous main thread, which must stay the terminal's
/// own (ncurses is single-threaded) rather than become a task.
func blocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let outcome = ErrorBox()
    Task {
        do { try await body() } catch { outcome.set(error) }
        done.signal()
    }
    done.wait()
    if let error = outcome.get() { throw error }
}

import Synchronization

private final class ErrorBox: Sendable {
    private let error = Mutex<(any Error)?>(nil)
    func set(_ e: any Error) { error.withLock { $0 = e } }
    func get() -> (any Error)? { error.withLock { $0 } }
}
