import ArgumentParser
import AsyncMachine
import AsyncMachineNode
import AsyncMachineRPC
import Foundation
import Logging

/// `amnode status`: one PoolSnapshot from a supervisor's operator endpoint.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print one snapshot of a supervisor's pool, as a table or JSON.",
        discussion: "Connects to the operator endpoint (amnode supervisor prints it) with the operator token."
    )

    @Option(help: ArgumentHelp("The supervisor's operator endpoint.", valueName: "host:port"))
    var supervisor: String

    @Option(help: ArgumentHelp("File holding the operator token (or set AM_NODE_TOKEN).", valueName: "path"))
    var tokenFile = "amnode-supervisor.token"

    @Flag(help: "Print the snapshot as JSON.")
    var json = false

    @Option(help: "Seconds to wait for the snapshot.")
    var timeout = 5

    mutating func run() async throws {
        guard let (host, port) = NodeAddress.parse(supervisor) else { throw ValidationError("--supervisor must be host:port") }
        let token = try ProcessInfo.processInfo.environment[OperatorToken.environmentVariable] ?? OperatorToken.read(tokenFile)
        let consumer = Machine(.rpcConsumer, id: "status")
        let received = Mutex<String?>(nil)
        consumer.onState(.serverPayload) { event in
            if (try? event.args.string("name")) == OperatorEndpoint.snapshotPayload, let text = try? event.args.string("data") {
                received.withLock { $0 = text }
            }
        }
        var logger = Logger(label: "amnode.status")
        logger.logLevel = .critical
        let client = RPCClient(host: host, port: port, configuration: .init(
            id: "op-status-\(getpid())", token: token, consumer: consumer, connectTimeout: .seconds(timeout),
            callTimeout: .seconds(timeout), connectRetries: 0, reconnect: false, logger: logger))
        let net = try await client.connect()
        _ = try await net.add1(.requestSnapshot)
        try await consumer.when1(.serverPayload, timeout: .seconds(timeout))
        await client.close()
        guard let text = received.withLock({ $0 }) else { throw ValidationError("no snapshot received") }
        if json {
            print(text)
            return
        }
        let snapshot = try JSONDecoder().decode(PoolSnapshot.self, from: Data(text.utf8))
        print(StatusTable.render(snapshot))
    }
}

import Synchronization

/// The snapshot as a terminal table.
enum StatusTable {
    static func render(_ s: PoolSnapshot) -> String {
        var lines: [String] = []
        let flags = [("PoolReady", s.flags.poolReady), ("Normalizing", s.flags.normalizingPool),
                     ("WorkersAvailable", s.flags.workersAvailable), ("ErrPool", s.flags.errPool)]
            .map { "\($0.0)=\($0.1 ? "yes" : "no")" }.joined(separator: " ")
        lines.append("supervisor \(s.supervisor)  kind \(s.kind)  snapshot #\(s.seq)")
        lines.append("pool min \(s.pool.min) max \(s.pool.max) warm \(s.pool.warm) target \(s.pool.target)  \(flags)")
        lines.append("forked \(s.counters.forked)  gone \(s.counters.gone)  killed \(s.counters.killed)  errors \(s.counters.errors)  clients \(s.clients.count)")
        lines.append("")
        let header = ["ID", "PID", "STATE", "ERRS", "HEALTH", "RTT", "CLIENT", "UPTIME"]
        var rows = [header]
        for w in s.workers {
            rows.append([
                w.id, w.pid.map(String.init) ?? "-", w.state.rawValue, String(w.errors),
                w.lastHealthcheckAgeMilliseconds.map { "\($0 / 1000)s ago" } ?? "-",
                w.healthcheckRoundTripMicroseconds.map { "\($0)µs" } ?? "-",
                w.client ?? "-", "\(w.uptimeMilliseconds / 1000)s",
            ])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}
