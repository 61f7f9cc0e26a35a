import ArgumentParser

@main
struct AMNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amnode",
        abstract: "asyncmachine worker pools: supervisor, worker, client, status and benchmarks.",
        version: AMNode.version,
        subcommands: [SupervisorCommand.self, WorkerCommand.self, ClientCommand.self, StatusCommand.self, ReplayCommand.self,
                      Bench.self, RPCDemo.self]
    )

    /// This build's version, written into recordings.
    static let version = "0.5.0"
}

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print one JSON line per result (build with -c release).",
        discussion: """
            Each result line is a JSON object. A benchmark that verifies its own results \
            exits non-zero when a check fails.
            """,
        subcommands: [MachineBench.self, RPCBench.self, PoolBench.self, RecordingBench.self, DashboardBench.self]
    )
}
