import AsyncMachine
import Synchronization
import Testing

@Suite struct PipesTests {
    private func pair() throws -> (Machine, Machine) {
        let source = Fixture.machine(try Schema.basic.merging([.a: StateSpec()]), id: "source")
        let target = Fixture.machine(
            try Schema.basic.merging(["SourceReady": StateSpec(), "ErrSource": StateSpec(require: [.exception]), .a: StateSpec()]),
            id: "target")
        return (source, target)
    }

    @Test func bindMirrorsActivationAndDeactivation() throws {
        let (source, target) = try pair()
        let link = Pipes.bind(source, .a, to: target, .a)
        source.add1(.a, ["n": 1])
        #expect(target.is1(.a))
        source.remove1(.a)
        #expect(target.not1(.a))
        link.dispose()
        source.add1(.a)
        #expect(target.not1(.a), "a disposed pipe forwards nothing")
    }

    @Test func bindCopiesAnAlreadyActiveStateAtOnce() throws {
        let (source, target) = try pair()
        source.add1(.a)
        Pipes.bind(source, .a, to: target, .a)
        #expect(target.is1(.a))
    }

    @Test func forwardedMutationCarriesTheSourceTransition() throws {
        let (source, target) = try pair()
        let seen = SourceRecorder()
        target.attach(seen)
        Pipes.add(source, .a, to: target, .a)
        source.add1(.a, ["job": 7])
        let mutation = try #require(seen.last)
        #expect(mutation.source?.machineId == "source")
        #expect(mutation.args["job"] == 7)
    }

    @Test func bindReadyFollowsTheSourceReady() throws {
        let (source, target) = try pair()
        Pipes.bindReady(source, to: target, "SourceReady")
        source.add([.start, .ready])
        #expect(target.is1("SourceReady"))
        source.remove1(.start)
        #expect(target.not1("SourceReady"), "Ready ended because Start did")
    }

    @Test func bindErrForwardsTheErrorIntoAnErrState() throws {
        let (source, target) = try pair()
        Pipes.bindErr(source, to: target, "ErrSource")
        source.addErr(TestFailure("disk full"))
        #expect(target.is(["ErrSource", .exception]))
        #expect(String(describing: try #require(target.lastError)) == "disk full")
    }

    @Test func pipesBetweenMachinesThatPipeBackDoNotDeadlock() throws {
        let (source, target) = try pair()
        Pipes.bind(source, .a, to: target, .a)
        Pipes.bind(target, .a, to: source, .start)
        source.add1(.a)
        #expect(target.is1(.a))
        #expect(source.is([.a, .start]))
    }
}

private final class SourceRecorder: Tracer {
    private let mutations = Mutex<[Mutation]>([])
    func transitionEnd(_ transition: Transition) { mutations.withLock { $0.append(transition.mutation) } }
    var last: Mutation? { mutations.withLock { $0.last } }
}

@Suite struct SharedSchemaTests {
    @Test func connectedGroupIsExclusiveWithDisconnectedAsFallback() throws {
        let machine = Fixture.machine(Schema.connected)
        machine.add1(.start)
        #expect(machine.activeStates() == [.start, .disconnected], "Disconnected is Auto")
        machine.add1(.connecting)
        #expect(machine.activeStates() == [.start, .connecting])
        machine.add1(.connected)
        #expect(machine.activeStates() == [.start, .connected])
        machine.add1(.errConnecting)
        #expect(machine.is([.errConnecting, .exception]), "ErrConnecting adds Exception")
        machine.remove1(.start)
        #expect(machine.activeStates().contains(.disconnected), "without Start only Disconnected fits")
    }

    @Test func basicSchemaErrorStatesBringException() throws {
        let machine = Fixture.machine(Schema.basic)
        #expect(machine.add1(.errNetwork) == .executed)
        #expect(machine.is([.errNetwork, .exception]))
        #expect(machine.add1(.ready) == .canceled, "Ready requires Start")
    }
}
