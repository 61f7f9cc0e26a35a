import ArgumentParser

@main
struct PoolTopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pooltop", abstract: "The worker-pool dashboard.")
    func run() throws {}
}
