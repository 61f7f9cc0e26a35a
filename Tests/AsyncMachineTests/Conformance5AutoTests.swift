import AsyncMachine
import Synchronization
import Testing

/// Keeps every finished transition (the Swift stand-in for Go's `[auto]` and
/// `[cancel:reject]` log lines).
fileprivate final class AutoTxRecorder: Tracer {
    private let list = Mutex<[Transition]>([])
    func transitionEnd(_ transition: Transition) { list.withLock { $0.append(transition) } }
    var all: [Transition] { list.withLock { $0 } }
    var autos: [Transition] { all.filter(\.isAuto) }
}

/// machine-semantics.md §9.5, cases 31-36: auto states.
@Suite struct Conformance5AutoTests {
    // MARK: Case 31

    @Test func testAutoStates() throws {
        let machine = Fixture.machine(try Fixture.noRels([.b: StateSpec(require: [.a], auto: true)]))
        let recorder = AutoTxRecorder()
        machine.attach(recorder)
        let log = HandlerLog(machine)
        #expect(machine.add([.a]) == .executed)
        #expect(machine.activeStates() == [.a, .b])
        #expect(machine.time([.a, .b]) == [1, 1])
        #expect(log.take() == seq("AEnter AnyEnter AState AnyState BEnter AA AB AnyEnter BState AnyState"))
        // Go logs `[auto] B`: one auto transition that called B, and it was accepted.
        let autos = recorder.autos
        #expect(autos.count == 1)
        #expect(autos.first?.calledStates == [.b])
        #expect(autos.first?.result == .executed)
    }

    // MARK: Case 32

    @Test func testPartialAutoStates() throws {
        let machine = Fixture.machine(
            try Fixture.noRels([
                .a: StateSpec(auto: true),
                .b: StateSpec(require: [.c], after: [.a], auto: true),
            ]))
        let recorder = AutoTxRecorder()
        machine.attach(recorder)
        let log = HandlerLog(machine)
        #expect(machine.add([.d]) == .executed)
        #expect(machine.activeStates() == [.a, .d])
        #expect(machine.time([.a, .b, .c, .d]) == [1, 0, 0, 1])
        // Go logs `[auto_] +A` and `[reject:auto] B(-C)`: the auto transition called A and
        // B, B was rejected by its Require, A was activated anyway.
        let autos = recorder.autos
        #expect(autos.count == 1)
        #expect(autos.first?.calledStates == [.a, .b])
        #expect(autos.first?.enteredStates == [.a])
        #expect(autos.first?.result == .executed)
        let names = log.take()
        #expect(names.contains("AState"))
        #expect(!names.contains("BEnter"))
        #expect(!names.contains("BState"))
    }

    // MARK: Case 33

    @Test func testPartialAuto() throws {
        let machine = Fixture.machine(
            try Fixture.noRels([
                .c: StateSpec(require: [.b], auto: true),
                .d: StateSpec(require: [.b], auto: true),
            ]))
        let recorder = AutoTxRecorder()
        machine.attach(recorder)
        let log = HandlerLog(machine)
        #expect(machine.add([.a]) == .executed)
        #expect(machine.activeStates() == [.a])
        #expect(machine.time([.a, .b, .c, .d]) == [1, 0, 0, 0])
        // Go logs `[cancel:reject] C D`: the auto transition is still a transition, and it
        // was cancelled because both of its called states were rejected.
        let autos = recorder.autos
        #expect(autos.count == 1)
        #expect(Set(autos.first?.calledStates ?? []) == [.c, .d])
        #expect(autos.first?.result == .canceled)
        #expect(autos.first?.isAccepted == false)
        // A cancelled auto transition emits no handler at all.
        #expect(log.take() == seq("AEnter AnyEnter AState AnyState"))
    }

    // MARK: Case 34

    @Test func testPartialAutoStatesByStateState() throws {
        let machine = Fixture.machine(
            try Schema([.a: StateSpec(auto: true), .b: StateSpec(auto: true), .c: StateSpec()]))
        let log = HandlerLog(machine, vetoes: ["CB"])
        #expect(machine.add1(.c) == .executed)
        #expect(machine.activeStates() == [.a, .c])
        #expect(machine.time([.a, .b, .c]) == [1, 0, 1])
        // The veto of the pair handler CB drops only the Auto state B.
        #expect(
            log.take()
                == seq("CEnter AnyEnter CState AnyState AEnter BEnter CC CA CB AnyEnter AState AnyState"))
    }

    // MARK: Case 35

    @Test func testPartialAutoStatesByEnter() throws {
        let machine = Fixture.machine(
            try Schema([
                .a: StateSpec(auto: true), .b: StateSpec(add: [.d], auto: true), .c: StateSpec(), .d: StateSpec(),
            ]))
        let log = HandlerLog(machine, vetoes: ["BEnter"])
        #expect(machine.add1(.c) == .executed)
        // B is dropped, and so is D, which only B implied.
        #expect(machine.activeStates() == [.a, .c])
        #expect(machine.time([.a, .b, .c, .d]) == [1, 0, 1, 0])
        let names = log.take()
        #expect(containsInOrder(names, seq("CState AnyState AEnter BEnter AnyEnter AState AnyState")))
        #expect(!names.contains("BState"))
        #expect(!names.contains("DState"))
    }

    // MARK: Case 36

    @Test func testPartialAutoStatesBySelfHandler() throws {
        let machine = Fixture.machine(
            try Schema([.a: StateSpec(auto: true), .b: StateSpec(auto: true), .c: StateSpec()]))
        let recorder = AutoTxRecorder()
        machine.attach(recorder)
        let log = HandlerLog(machine, vetoes: ["CC"])
        #expect(machine.add1(.c) == .executed)
        // C is not Auto, so its self handler's veto cancels the whole auto transition.
        #expect(machine.activeStates() == [.c])
        #expect(machine.time([.a, .b, .c]) == [0, 0, 1])
        #expect(log.take() == seq("CEnter AnyEnter CState AnyState AEnter BEnter CC"))
        #expect(recorder.autos.count == 1)
        #expect(recorder.autos.first?.result == .canceled)
    }
}
