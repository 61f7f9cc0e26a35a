import AsyncMachine
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps every finished transition.
fileprivate final class TxRecorder: Tracer {
    private let list = Mutex<[Transition]>([])
    func transitionEnd(_ transition: Transition) { list.withLock { $0.append(transition) } }
    var all: [Transition] { list.withLock { $0 } }
    var last: Transition? { list.withLock { $0.last } }
}

/// The errors handlers saw, by handler name.
fileprivate final class ErrorLog: Sendable {
    private let seen = Mutex<[String: String]>([:])
    func record(_ event: Event) { seen.withLock { $0[event.name] = event.error.map { String(describing: $0) } } }
    subscript(name: String) -> String? { seen.withLock { $0[name] } }
}

/// machine-semantics.md §9.4, cases 25-30: negotiation, cancellation and errors.
@Suite struct Conformance4NegotiationTests {
    // MARK: Case 25

    @Test func testNegotiationCancel() throws {
        // (set)
        do {
            let machine = Fixture.machine(try Fixture.noRels())
            machine.set([.a])
            let log = HandlerLog(machine, vetoes: ["DEnter"])
            let recorder = TxRecorder()
            machine.attach(recorder)
            #expect(machine.set([.d]) == .canceled)
            #expect(machine.activeStates() == [.a])
            #expect(machine.time([.a, .d]) == [1, 0])
            #expect(log.take() == seq("AExit DEnter"))
            // Go logs `[cancel] (D) by DEnter`: the cancelled transition's targets.
            let tx = try #require(recorder.last)
            #expect(tx.targetStates == [.d])
            #expect(tx.result == .canceled)
            #expect(!tx.isAccepted)
        }
        // (add)
        do {
            let machine = Fixture.machine(try Fixture.noRels())
            machine.set([.a])
            let log = HandlerLog(machine, vetoes: ["DEnter"])
            let recorder = TxRecorder()
            machine.attach(recorder)
            #expect(machine.add([.d]) == .canceled)
            #expect(machine.activeStates() == [.a])
            #expect(log.take() == seq("DEnter"))
            // Go logs `[cancel] (D A) by DEnter`: the called state comes first.
            let tx = try #require(recorder.last)
            #expect(tx.targetStates == [.d, .a])
            #expect(tx.result == .canceled)
        }
    }

    // MARK: Case 26

    @Test func testNegotiationRemove() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let log = HandlerLog(machine, vetoes: ["AExit"])
        let recorder = TxRecorder()
        machine.attach(recorder)
        #expect(machine.remove([.a]) == .canceled)
        #expect(machine.activeStates() == [.a])
        #expect(machine.tick(.a) == 1)
        #expect(log.take() == seq("AExit"))
        // Go logs `[cancel] () by AExit`: the target set is empty.
        let tx = try #require(recorder.last)
        #expect(tx.targetStates == [])
    }

    @Test func testHandlerNegotiationStateState() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let log = HandlerLog(machine, vetoes: ["AB"])
        #expect(machine.add1(.b) == .canceled)
        #expect(machine.activeStates() == [.a])
        #expect(machine.tick(.b) == 0)
        #expect(log.take() == seq("BEnter AA AB"))
    }

    // MARK: Case 27

    @Test func testPartialNegotiationPanic() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let errors = ErrorLog()
        machine.onEnter(.b) { _ in throw TestFailure("BEnter panic") }
        machine.onEnter(.exception) { e in
            errors.record(e)
            return true
        }
        let recorder = TxRecorder()
        machine.attach(recorder)
        #expect(machine.add([.b]) == .canceled)
        // The Exception mutation is prepended and runs in the same drain.
        #expect(machine.activeStates() == [.a, .exception])
        #expect(machine.tick(.b) == 0)
        #expect(machine.isErr)
        #expect((machine.lastError as? TestFailure)?.description == "BEnter panic")
        #expect(errors["ExceptionEnter"] == "BEnter panic")
        // Go logs `[cancel] (B A) by recover`: the failed transition's targets.
        let failed = try #require(recorder.all.first)
        #expect(failed.targetStates == [.b, .a])
        #expect(failed.result == .canceled)
    }

    @Test func testPartialFinalPanic() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let errors = ErrorLog()
        machine.onState(.b) { _ in throw TestFailure("BState panic") }
        machine.onEnter(.exception) { e in
            errors.record(e)
            return true
        }
        let recorder = TxRecorder()
        machine.attach(recorder)
        #expect(machine.add([.a, .b, .c]) == .canceled)
        // B and the states entered after it are reverted.
        #expect(machine.activeStates() == [.a, .exception])
        #expect(machine.time([.a, .b, .c]) == [1, 2, 2])
        // Go logs `[error:add] A B C (BState panic` and `[cancel] (A B C) by recover`.
        #expect(errors["ExceptionEnter"] == "BState panic")
        let failed = try #require(recorder.all.first)
        #expect(failed.targetStates == [.a, .b, .c])
        #expect(failed.calledStates == [.a, .b, .c])
        #expect(failed.result == .canceled)
    }

    // MARK: Case 28

    @Test func testHandlerTimeout() throws {
        let machine = Machine(
            try Fixture.noRels(), id: "timeout",
            configuration: Machine.Configuration(handlerTimeout: .milliseconds(50)))
        machine.onState(.a) { _ in usleep(150_000) }
        #expect(machine.add1(.a) == .canceled)
        // D12: no deadline; the transition is cancelled, the slow State handler's state
        // is reverted, and no Exception is added.
        #expect(machine.activeStates() == [])
        #expect(machine.tick(.a) == 2)
        #expect(!machine.isErr)
        // The queue is not dropped and the machine keeps working.
        #expect(machine.add1(.b) == .executed)
        #expect(machine.activeStates() == [.b])
    }

    // MARK: Case 29

    @Test func testAddErr() async throws {
        do {
            let machine = Fixture.machine(try Fixture.noRels())
            let err = TestFailure("err")
            #expect(machine.addErrState(.b, err) == .executed)
            #expect(machine.addErr(err) == .executed)
            #expect(machine.is([.b, .exception]))
            #expect(machine.isErr)
            // Exception is Multi: the second error re-activates it.
            #expect(machine.tick(.exception) == 3)
            #expect((machine.lastError as? TestFailure)?.description == "err")
        }
        // Go's `defer PanicToErrState(B)` in a goroutine: no panics to recover in Swift;
        // the closest is a task that hands its thrown error to addErrState.
        do {
            let machine = Fixture.machine(try Fixture.noRels())
            Task.detached {
                do {
                    throw TestFailure("panic")
                } catch {
                    machine.addErrState(.b, error)
                }
            }
            try await machine.whenErr(timeout: .seconds(5))
            #expect(machine.is([.b, .exception]))
        }
        // The same with `PanicToErr`: addErr.
        do {
            let machine = Fixture.machine(try Fixture.noRels())
            Task.detached {
                do {
                    throw TestFailure("panic")
                } catch {
                    machine.addErr(error)
                }
            }
            try await machine.whenErr(timeout: .seconds(5))
            #expect(machine.isErr)
            #expect(machine.activeStates() == [.exception])
        }
    }

    // MARK: Case 30

    @Test func testCanAdd() throws {
        let machine = Fixture.machine(try Fixture.rels())
        let log = HandlerLog(machine)
        let before = machine.time()
        #expect(machine.canAdd([.a]) == .canceled)  // A requires C
        #expect(log.take() == [])
        #expect(machine.canAdd([.c]) == .executed)
        // D16: a dry run runs negotiation handlers, never final ones.
        #expect(log.take() == seq("CEnter AnyEnter"))
        #expect(machine.time() == before)
        #expect(machine.activeStates() == [])

        let vetoed = Fixture.machine(try Fixture.rels())
        _ = HandlerLog(vetoed, vetoes: ["CEnter"])
        #expect(vetoed.canAdd([.c]) == .canceled)
        #expect(vetoed.activeStates() == [])
        #expect(vetoed.add([.c]) == .canceled)
    }
}
