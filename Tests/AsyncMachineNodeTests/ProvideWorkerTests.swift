import AsyncMachine
import AsyncMachineNode
import AsyncMachineRPC
import Foundation
import Testing

/// The whole flow of rpc-node.md §5.3 with real worker processes: a client gets a worker,
/// sends it work, gets the result back, and gives the worker back by leaving.
@Suite(.serialized) struct ProvideWorkerTests {
    private func startedSupervisor(min: Int = 2, warm: Int = 0, max: Int = 3, maxClientWorkers: Int? = nil) async throws -> Supervisor {
        let amnode = try #require(SupervisorTests.amnode)
        let supervisor = Supervisor(configuration: .init(
            kind: "demo", workerCommand: [amnode, "worker"], max: max, min: min, warm: warm, maxClientWorkers: maxClientWorkers))
        try await supervisor.start()
        try await supervisor.machine.when([.poolReady, .workersAvailable], timeout: .seconds(20))
        return supervisor
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func clientGetsAWorkerSendsWorkGetsThePayloadAndReleases() async throws {
        let supervisor = try await startedSupervisor()
        let client = NodeClient(configuration: .init(name: "c1", supervisors: [try #require(supervisor.publicAddress)]))
        try await client.start()
        let worker = try await client.requestWorker()
        #expect(client.machine.is1(.ready))
        #expect(supervisor.workers().contains { $0.client == client.workerClientId })

        let result = Task { try await client.nextPayload(named: "result", timeout: .seconds(5)) }
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await worker.add1(.workRequested, ["input": 7]) == .executed)
        #expect(try await result.value == .int(49))

        await client.releaseWorker()
        try await eventually("the worker is back in the pool") {
            supervisor.workers().allSatisfy { $0.client == nil } && supervisor.workers(.idle).count == 2
        }
        await client.stop()
        await supervisor.stop()
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func drainedWorkerFinishesItsClientThenIsEndedAndReplaced() async throws {
        let supervisor = try await startedSupervisor(min: 2, max: 3)
        let client = NodeClient(configuration: .init(name: "drained", supervisors: [try #require(supervisor.publicAddress)]))
        try await client.start()
        let worker = try await client.requestWorker()
        let served = try #require(supervisor.workers().first { $0.client == client.workerClientId })
        #expect(supervisor.drain(served.id))
        try await Task.sleep(for: .milliseconds(100))
        #expect(supervisor.workers().contains { $0.id == served.id }, "still serving its client")
        let answer = Task { try await client.nextPayload(named: "result", timeout: .seconds(5)) }
        try await Task.sleep(for: .milliseconds(20))
        _ = try await worker.add1(.workRequested, ["input": 3])
        #expect(try await answer.value == .int(9))
        await client.releaseWorker()
        try await supervisor.machine.when1(.workerKilled, timeout: .seconds(10))
        try await eventually("replaced") {
            !supervisor.workers().contains { $0.id == served.id } && supervisor.workers(.idle).count == 2
        }
        #expect(supervisor.machine.tick(.errWorker) == 0, "a drain is not an error")
        await client.stop()
        await supervisor.stop()
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func anotherClientIsRefusedOnTheAssignedWorker() async throws {
        let supervisor = try await startedSupervisor(min: 1, max: 1)
        let client = NodeClient(configuration: .init(name: "c1", supervisors: [try #require(supervisor.publicAddress)]))
        try await client.start()
        _ = try await client.requestWorker()
        let address = try #require(supervisor.workers().first?.publicAddress)
        let (host, port) = try #require(NodeAddress.parse(address))
        let intruder = RPCClient(host: host, port: port, configuration: .init(id: "nc-worker-intruder", reconnect: false))
        await #expect(throws: RPCError.self) { try await intruder.connect() }
        await client.stop()
        await supervisor.stop()
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func maxClientWorkersRefusesTheExtraRequestWithAClearError() async throws {
        let supervisor = try await startedSupervisor(min: 2, max: 2, maxClientWorkers: 1)
        let client = NodeClient(configuration: .init(name: "greedy", supervisors: [try #require(supervisor.publicAddress)]))
        try await client.start()
        _ = try await client.requestWorker()
        // A second worker for the same client, while another worker is idle: refused.
        #expect(supervisor.workers(.idle).count == 1)
        await #expect(throws: NodeError.refused(NodeError.tooManyWorkers(1).description)) {
            try await client.requestWorker()
        }
        await client.stop()
        await supervisor.stop()
    }

    @Test(.enabled(if: SupervisorTests.amnode != nil, "needs amnode (swift build)"), .timeLimit(.minutes(1)))
    func clientFailsOverToTheSecondSupervisor() async throws {
        let supervisor = try await startedSupervisor(min: 1, max: 1)
        let down = "127.0.0.1:\(try await unusedPort())"
        let client = NodeClient(configuration: .init(name: "c2", supervisors: [down, try #require(supervisor.publicAddress)]))
        try await client.start()
        #expect(client.supervisorAddress == supervisor.publicAddress)
        _ = try await client.requestWorker()
        await client.stop()
        await supervisor.stop()
    }

    private func unusedPort() async throws -> Int {
        let probe = RPCServer(source: Machine(Schema.basic))
        try await probe.start()
        let port = try #require(probe.port)
        await probe.stop()
        return port
    }

}
