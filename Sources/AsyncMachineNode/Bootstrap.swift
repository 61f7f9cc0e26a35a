import AsyncMachine
import AsyncMachineRPC
import Synchronization

/// The rendezvous of one fork: a tiny machine served on 127.0.0.1:0 whose address goes
/// to the new worker as `-a host:port`; the worker adds WorkerAddr with its addresses.
final class Bootstrap: Sendable {
    let machine: Machine
    let server: RPCServer
    private let report = Mutex<Args?>(nil)

    init(id: String) {
        machine = Machine(.bootstrap, id: "nb-\(id)")
        server = RPCServer(source: machine, configuration: .init(host: "127.0.0.1", port: 0, id: "rs-nb-\(id)", maxClients: 1))
        machine.onEnter(.workerAddr) { event in
            guard let report = try? NodeArgs(args: event.args) else { return false }
            return report.id != nil && report.localAddr.flatMap(NodeAddress.parse) != nil
        }
        machine.onState(.workerAddr) { [weak self] event in self?.report.withLock { $0 = event.args } }
    }

    /// `host:port` to pass to the worker.
    var address: String { "127.0.0.1:\(server.port ?? 0)" }

    func start() async throws {
        machine.add1(.start)
        try await server.start()
    }

    /// The worker's report, or throws after `timeout`.
    func waitForReport(timeout: Duration) async throws -> Args {
        try await machine.when1(.workerAddr, timeout: timeout)
        guard let args = report.withLock({ $0 }) else { throw NodeError.bootstrapRefused("empty report") }
        return args
    }

    /// Waits (up to 1 s) for the worker to read its reply and say Bye, then stops:
    /// closing at once would cut the reply off, and the worker would fail its start.
    func finish() async {
        try? await server.machine.whenNot1(.hasClients, timeout: .seconds(1))
        await stop()
    }

    func stop() async {
        await server.stop()
        machine.dispose()
    }
}
