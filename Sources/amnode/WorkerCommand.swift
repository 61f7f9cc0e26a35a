import ArgumentParser
import AsyncMachine
import AsyncMachineNode
import Logging

/// `amnode worker -a ADDR`: the built-in demo worker. It squares numbers.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the built-in demo worker (started by a supervisor, which passes -a).",
        discussion: """
            A job is WorkRequested with args {input: Int}; the worker answers its client with \
            a payload named "result" holding input squared, then goes back to Idle. The \
            worker exits when its supervisor goes away.
            """
    )

    @Option(name: .customShort("a"), help: ArgumentHelp("The supervisor's bootstrap address.", valueName: "host:port"))
    var bootstrap: String

    @Option(help: "Worker kind.")
    var kind = "demo"

    @Option(help: "Milliseconds each job takes.")
    var latency = 10

    @Option(help: "Fraction of jobs that fail with ErrWork, 0 to 1.")
    var errorRate = 0.0

    mutating func run() async throws {
        var logger = Logger(label: "amnode.worker")
        logger.logLevel = .warning
        try await DemoWorker.run(bootstrap: bootstrap, kind: kind, latency: .milliseconds(latency), errorRate: errorRate, logger: logger)
    }
}
