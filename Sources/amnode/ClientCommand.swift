import ArgumentParser
import AsyncMachine
import AsyncMachineNode
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `amnode client`: gets a worker from a supervisor, runs jobs on it, prints the results.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Get a worker from a supervisor, run jobs on it and print their results.",
        discussion: """
            Tries the supervisors in the order given and uses the first that answers. Each \
            job sends {input: n} to the worker (n = 1, 2, ...) and prints the payload it \
            sends back (the demo worker squares n). The worker is released at the end.
            """
    )

    @Option(help: ArgumentHelp("Supervisors, comma separated.", valueName: "host:port[,host:port...]"))
    var supervisor: String

    @Option(help: "Jobs to run.")
    var jobs = 3

    @Option(help: "Client name (its ids are nc-super-NAME and nc-worker-NAME).")
    var name = "cli-\(getpid())"

    @Option(help: "Seconds to wait for each answer.")
    var timeout = 5

    mutating func run() async throws {
        var logger = Logger(label: "amnode.client")
        logger.logLevel = .warning
        let client = NodeClient(configuration: .init(
            name: name, supervisors: supervisor.split(separator: ",").map(String.init),
            connTimeout: .seconds(timeout), logger: logger))
        try await client.start()
        print("connected to supervisor \(client.supervisorAddress ?? "?")")
        let worker = try await client.requestWorker()
        print("got worker \(worker.sourceId)")
        for n in 1...max(1, jobs) {
            let answer = Task { [client, timeout] in try await client.nextPayload(named: "result", timeout: .seconds(timeout)) }
            _ = try await worker.add1(.workRequested, ["input": .int(n)])
            print("job \(n): result \(try await answer.value)")
            try await worker.mirror.when1(.idle, timeout: .seconds(timeout))
        }
        await client.stop()
        print("released the worker")
    }
}
