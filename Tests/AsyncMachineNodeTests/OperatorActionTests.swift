import AsyncMachine
import AsyncMachineNode
import Synchronization
import Testing

@Suite("Supervisor.perform")
struct OperatorActionTests {
    @Test("refuses what it would not do as asked, says why, and tells every observer")
    func refusals() {
        let supervisor = Supervisor(configuration: .init(kind: "actions", workerCommand: ["/nonexistent"], max: 4, min: 1, warm: 0))
        let seen = Mutex<[OperatorAction]>([])
        supervisor.observeActions { action in seen.withLock { $0.append(action) } }

        let fork = supervisor.perform(.fork(count: 0), origin: "test")
        #expect(!fork.ok && fork.result.contains("1 or more"))

        // min above max would be clamped by the pool; the operator is told instead.
        let sizes = supervisor.perform(.setPool(min: 9, max: nil, warm: nil), origin: "test")
        #expect(!sizes.ok && sizes.result.contains("min <= max"))
        #expect(supervisor.snapshot().pool.min == 1)

        let kill = supervisor.perform(.kill(worker: "w42", force: true), origin: "test")
        #expect(!kill.ok && kill.name == .forceKill && kill.result == "no worker w42")

        #expect(seen.withLock { $0 }.map(\.name) == [.fork, .setPool, .forceKill])
        #expect(seen.withLock { $0 }.allSatisfy { $0.origin == "test" && $0.latencyMicroseconds != nil })
    }
}

@Suite("PoolCommand.operatorMutation")
struct OperatorMutationTests {
    @Test("every command sent as an operator mutation reaches the supervisor as itself")
    func roundTrip() async throws {
        let supervisor = Supervisor(configuration: .init(kind: "roundtrip", workerCommand: ["/nonexistent"], max: 4, min: 1, warm: 0))
        let endpoint = OperatorEndpoint(supervisor: supervisor, token: "t")
        endpoint.machine.add1(.start)
        let seen = Mutex<[OperatorAction]>([])
        supervisor.observeActions { action in seen.withLock { $0.append(action) } }
        // Commands that do nothing to an idle, unstarted pool (nothing is forked).
        let commands: [PoolCommand] = [
            .fork(count: 0), .kill(worker: "w7", force: true), .kill(worker: "w8", force: false), .provide(client: "c-1"),
            .setPool(min: 9, max: 3, warm: 2), .drain(worker: "w9"), .heartbeat,
        ]
        for command in commands {
            let (state, args) = command.operatorMutation
            endpoint.machine.add1(state, args)
        }
        let actions = seen.withLock { $0 }
        #expect(actions.count == commands.count)
        for (action, command) in zip(actions, commands) {
            let expected = OperatorAction(command, ok: action.ok, result: action.result, origin: "operator")
            #expect(action.name == expected.name && action.target == expected.target && action.count == expected.count
                    && action.min == expected.min && action.max == expected.max && action.warm == expected.warm, "\(command): \(action)")
        }
    }
}
