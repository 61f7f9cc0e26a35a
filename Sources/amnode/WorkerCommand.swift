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
        let worker = try Worker(schema: .worker, configuration: .init(kind: kind, logger: logger))
        let latency = self.latency
        let errorRate = self.errorRate
        worker.machine.onState(.workRequested) { event in
            let input = (try? event.args.int("input")) ?? 0
            let machine = event.machine
            machine.stateContext(.workRequested).task {
                try? await Task.sleep(for: .milliseconds(latency))
                if Double.random(in: 0..<1) < errorRate {
                    machine.addErrState(.errWork, DemoWorkError(input: input))
                } else {
                    machine.add1(.clientSendPayload, ["name": "result", "data": .int(input * input)])
                }
                machine.add1(.idle)
            }
        }
        try await worker.start(bootstrap: bootstrap)
        await worker.run()
    }
}

struct DemoWorkError: Error, CustomStringConvertible {
    let input: Int
    var description: String { "job \(input) failed (demo error rate)" }
}
