import AsyncMachine
import AsyncMachineNode
import AsyncMachineRPC
import Foundation
import Synchronization
import Testing

/// The operator surface over its real endpoint, with real workers.
@Suite(.serialized) struct OperatorTests {
    final class Snapshots: Sendable {
        let list = Mutex<[PoolSnapshot]>([])
        var last: PoolSnapshot? { list.withLock { $0.last } }
        var all: [PoolSnapshot] { list.withLock { $0 } }
    }

    private func setUp(token: String = "t0ken") async throws -> (Supervisor, OperatorEndpoint) {
        let supervisor = Supervisor(configuration: .init(
            kind: "demo", workerCommand: [try #require(SupervisorTests.amnode), "worker"], max: 3, min: 2, warm: 0))
        try await supervisor.start()
        let endpoint = OperatorEndpoint(supervisor: supervisor, token: token)
        try await endpoint.start()
        try await supervisor.machine.when1(.poolReady, timeout: .seconds(20))
        return (supervisor, endpoint)
    }

    private func connect(_ endpoint: OperatorEndpoint, token: String, snapshots: Snapshots) async throws -> (RPCClient, NetMachine) {
        let consumer = Machine(.rpcConsumer, id: "op")
        consumer.onState(.serverPayload) { event in
            guard let text = try? event.args.string("data"),
                let snapshot = try? JSONDecoder().decode(PoolSnapshot.self, from: Data(text.utf8)) else { return }
            snapshots.list.withLock { $0.append(snapshot) }
        }
        let address = try #require(endpoint.address)
        let (host, port) = try #require(NodeAddress.parse(address))
        let client = RPCClient(host: host, port: port, configuration: .init(id: "op-test", token: token, consumer: consumer, connectRetries: 0, reconnect: false))
        return (client, try await client.connect())
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func snapshotsArePushedWithIncreasingSequenceNumbers() async throws {
        let (supervisor, endpoint) = try await setUp()
        let snapshots = Snapshots()
        let (client, net) = try await connect(endpoint, token: "t0ken", snapshots: snapshots)
        _ = try await net.add1(.requestSnapshot)
        try await eventually("a snapshot with 2 ready workers") {
            snapshots.last.map { $0.flags.poolReady && $0.workers.filter { $0.state == .idle }.count == 2 } ?? false
        }
        let last = try #require(snapshots.last)
        #expect(last.pool.target == 2 && last.kind == "demo")
        #expect(last.workers.allSatisfy { $0.pid != nil && $0.activeStates.contains("Ready") })
        let seqs = snapshots.all.map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
        await client.close()
        await endpoint.stop()
        await supervisor.stop()
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func operatorsGetTheTransitionsOfTheSupervisorAndOfEveryWorker() async throws {
        let batches = Mutex<[TransitionRecord]>([])
        let consumer = Machine(.rpcConsumer, id: "op-stream")
        consumer.onState(.serverPayload) { event in
            guard (try? event.args.string("name")) == OperatorEndpoint.transitionsPayload, let text = try? event.args.string("data"),
                let batch = try? JSONDecoder().decode(TransitionBatch.self, from: Data(text.utf8)) else { return }
            batches.withLock { $0 += batch.events.compactMap(\.transition) }
        }
        let supervisor = Supervisor(configuration: .init(
            kind: "demo", workerCommand: [try #require(SupervisorTests.amnode), "worker"], max: 2, min: 2, warm: 0))
        let endpoint = OperatorEndpoint(supervisor: supervisor, token: "t")
        try await endpoint.start()
        let address = try #require(endpoint.address)
        let (host, port) = try #require(NodeAddress.parse(address))
        let client = RPCClient(host: host, port: port, configuration: .init(id: "op-stream", token: "t", consumer: consumer))
        _ = try await client.connect()
        try await supervisor.start()  // after connecting, so the whole start is streamed
        try await supervisor.machine.when1(.poolReady, timeout: .seconds(20))
        // The workers' own changes from now on reach operators through their mirrors.
        await supervisor.heartbeatNow()
        try await eventually("worker transitions streamed") {
            batches.withLock { records in records.contains { $0.machineId.hasPrefix("rnm-") && $0.entered.contains(.healthcheck) } }
        }
        let records = batches.withLock { $0 }
        let supervisorRecords = records.filter { $0.machineId == supervisor.machine.id }
        #expect(supervisorRecords.contains { $0.called.contains(.workerForked) && $0.accepted })
        #expect(supervisorRecords.map(\.id) == supervisorRecords.map(\.id).sorted(), "in the order they happened")
        #expect(records.allSatisfy { $0.timeAfter.count == $0.timeBefore.count })
        await client.close()
        await endpoint.stop()
        await supervisor.stop()
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func wrongOperatorTokenChangesNothing() async throws {
        let (supervisor, endpoint) = try await setUp()
        try await eventually("2 workers") { supervisor.workers(.idle).count == 2 }
        let before = supervisor.workers().map(\.pid)
        await #expect(throws: RPCError.unauthorized("wrong token for client op-test")) {
            _ = try await connect(endpoint, token: "guess", snapshots: Snapshots())
        }
        #expect(endpoint.machine.tick(.killWorker) == 0 && endpoint.machine.tick(.forkWorkers) == 0)
        #expect(supervisor.workers().map(\.pid) == before)
        await endpoint.stop()
        await supervisor.stop()
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func operatorKillAndSetPoolOverRPC() async throws {
        let (supervisor, endpoint) = try await setUp()
        try await eventually("2 workers") { supervisor.workers(.idle).count == 2 }
        let (client, net) = try await connect(endpoint, token: "t0ken", snapshots: Snapshots())
        let victim = try #require(supervisor.workers().first)
        _ = try await net.add1(.killWorker, ["worker": .string(victim.id)])
        try await supervisor.machine.when1(.workerKilled, timeout: .seconds(10))
        try await eventually("a replacement") { !supervisor.workers().contains { $0.id == victim.id } && supervisor.workers(.idle).count == 2 }
        _ = try await net.add1(.setPool, ["min": 3, "max": 3])
        try await eventually("3 workers after SetPool") { supervisor.workers(.idle).count == 3 }
        await client.close()
        await endpoint.stop()
        await supervisor.stop()
    }
}
