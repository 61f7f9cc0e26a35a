import AsyncMachine
import Dispatch
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Records the start and end of every transition.
fileprivate final class DTxRecorder: Tracer {
    struct Seen: Equatable {
        var event: String
        var id: UInt64
        var machineId: String
    }

    private let list = Mutex<[Seen]>([])
    private let ended = Mutex<[Transition]>([])
    func transitionStart(_ transition: Transition) {
        list.withLock { $0.append(Seen(event: "start", id: transition.id, machineId: transition.machineId)) }
    }
    func transitionEnd(_ transition: Transition) {
        list.withLock { $0.append(Seen(event: "end", id: transition.id, machineId: transition.machineId)) }
        ended.withLock { $0.append(transition) }
    }
    var seen: [Seen] { list.withLock { $0 } }
    var transitions: [Transition] { ended.withLock { $0 } }
}

/// Runs `body` in a task; the result is "ok" or the error's description.
fileprivate func startWait(_ body: @escaping @Sendable () async throws -> Void) async -> (Task<String, Never>, Box<Bool>) {
    let started = Box(false)
    let task = Task { () -> String in
        started.value = true
        do {
            try await body()
            return "ok"
        } catch is CancellationError {
            return "cancelled"
        } catch MachineError.timeout {
            return "timeout"
        } catch {
            return String(describing: error)
        }
    }
    while !started.value { try? await Task.sleep(for: .milliseconds(2)) }
    try? await Task.sleep(for: .milliseconds(30))
    return (task, started)
}

/// Pinning tests for the deliberate differences of docs/semantics.md: D3, D8, D9, D10,
/// D18, D20 (the pins of D2, D4, D6, D17, D19 are conformance cases: testX1AddIsTransitive,
/// testX15AutoTieIsDeterministic, testX6ActiveMultiDoesNotRefireAdd, testEval,
/// testX14RemoveInactiveInsideHandler, testX7DedupeLooksAtTheLastMutationOnly,
/// testX12WhenQueueAfterCanceledMutation, testStateCtx; D4's testRequireOrder is case 11).
@Suite struct DifferencesBTests {
    // MARK: D3

    @Test func testNestedMutationDedupe() async throws {
        let machine = Fixture.machine(try Fixture.noRels([.d: StateSpec(multi: true)]))
        let recorder = DTxRecorder()
        machine.attach(recorder)
        let results = Box<[MutationResult]>([])
        let lengths = Box<[Int]>([])
        machine.onState(.a) { e in
            let m = e.machine
            func call(_ r: MutationResult) { results.update { $0.append(r) } }
            call(m.add1(.b))
            call(m.add1(.b))  // identical to the last mutation touching B: dropped
            lengths.update { $0.append(m.queueLength) }
            call(m.add1(.c, ["x": 1]))
            call(m.add1(.c, ["x": 1]))  // args: never dropped
            call(m.add1(.d))
            call(m.add1(.d))  // Multi: never dropped
            call(m.add([.b, .c]))  // the last one touching C differs: queued
            call(m.add([.c, .b]))  // same states as the last one touching them: dropped
            lengths.update { $0.append(m.queueLength) }
        }
        #expect(machine.add1(.a) == .executed)
        #expect(
            results.value == [.queued(3), .queued(3), .queued(4), .queued(5), .queued(6), .queued(7), .queued(8), .queued(8)])
        #expect(lengths.value == [1, 6])
        // The tick a dropped call returned still works with whenQueue.
        try await machine.whenQueue(3, timeout: .seconds(5))
        try await machine.whenQueue(8, timeout: .seconds(5))
        let called = recorder.transitions.map { $0.calledStates.map(\.rawValue).joined(separator: ",") }
        #expect(called == ["A", "B", "C", "C", "D", "D", "B,C"])
        #expect(machine.activeStates() == [.a, .b, .c, .d])
        #expect(machine.tick(.d) == 3)
    }

    // MARK: D8

    @Test func testStateContextOfInactiveStateIsCancelled() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let ctx = machine.stateContext(.b)
        #expect(ctx.isCancelled)
        let onCancelRan = Box(false)
        ctx.onCancel { onCancelRan.value = true }
        #expect(onCancelRan.value)
        // Waiting on it returns at once.
        let waited = Box(false)
        let waiter = Task {
            await ctx.wait()
            waited.value = true
        }
        for _ in 0..<500 where !waited.value { try await Task.sleep(for: .milliseconds(10)) }
        #expect(waited.value)
        if !waited.value { waiter.cancel() }
        // Work bound to an activation that does not exist never runs.
        let ran = Box(false)
        let task = ctx.task { ran.value = true }
        await task.value
        #expect(!ran.value)
        #expect(machine.stateContext("Unknown").isCancelled)

        // Once B is active, its context is live, until B's tick changes.
        machine.add1(.b)
        let live = machine.stateContext(.b)
        #expect(!live.isCancelled)
        #expect(live !== ctx)
        machine.remove1(.b)
        #expect(live.isCancelled)
        #expect(machine.stateContext(.b).isCancelled)
    }

    // MARK: D9

    @Test func testCancelledWaiterLeavesOthers() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        // Go's bug 11: the expiry of a When([A, B]) waiter deleted a later WhenNot([A]).
        let (cancelled, _) = await startWait { try await machine.when([.a, .b], timeout: .seconds(5)) }
        let (timedOut, _) = await startWait { try await machine.when([.a, .b], timeout: .milliseconds(50)) }
        let (whenNotA, _) = await startWait { try await machine.whenNot([.a], timeout: .seconds(5)) }
        let (sameSet, _) = await startWait { try await machine.when([.a, .b], timeout: .seconds(5)) }
        let (whenC, _) = await startWait { try await machine.when1(.c, timeout: .seconds(5)) }
        cancelled.cancel()
        #expect(await cancelled.value == "cancelled")
        #expect(await timedOut.value == "timeout")
        // The other waiters are still registered, and each resumes on its own condition.
        machine.add1(.b)
        #expect(await sameSet.value == "ok")
        machine.remove1(.a)
        #expect(await whenNotA.value == "ok")
        machine.add1(.c)
        #expect(await whenC.value == "ok")
    }

    // MARK: D10

    @Test func testConcurrentCallersGetTheirOwnResults() throws {
        let states: [StateName] = (0..<8).map { StateName("S\($0)") }
        let vetoed: StateName = "X"
        let machine = Fixture.machine(try Schema(pairs: (states + [vetoed]).map { ($0, StateSpec()) }))
        machine.onEnter(vetoed) { _ in false }
        // A slow negotiation widens the window in which other callers find the queue busy.
        machine.onAnyEnter { _ in
            usleep(200)
            return true
        }
        // Rounds of 400 racing callers until both kinds of caller have drained at least
        // once (which caller finds the machine idle depends on scheduling), so the
        // check below is never vacuous; every result of every round is checked.
        var drained = (executed: 0, canceled: 0)
        var rounds = 0
        while (drained.executed == 0 || drained.canceled == 0) && rounds < 20 {
            rounds += 1
            let results = Box<[(Int, MutationResult)]>([])
            DispatchQueue.concurrentPerform(iterations: 400) { i in
                let r = i % 2 == 0 ? machine.add1(vetoed) : machine.add1(states[(i / 2) % states.count])
                results.update { $0.append((i, r)) }
            }
            let all = results.value
            #expect(all.count == 400)
            for (i, r) in all {
                switch r {
                case .queued: continue
                case .executed:
                    drained.executed += 1
                    #expect(i % 2 == 1, "caller \(i) (add X, always cancelled) got executed")
                case .canceled:
                    drained.canceled += 1
                    #expect(i % 2 == 0, "caller \(i) (add S, always executed) got canceled")
                case .failed(let error):
                    Issue.record("caller \(i) failed: \(error)")
                }
            }
            // Let the queue drain before the next round.
            while machine.isBusy { usleep(1_000) }
        }
        #expect(drained.executed > 0, "after \(rounds) rounds")
        #expect(drained.canceled > 0, "after \(rounds) rounds")
        #expect(machine.activeStates() == states)
        #expect(machine.queueLength == 0)
    }

    // MARK: D18

    @Test func testAutoExitVetoCancelsAutoTransition() throws {
        let x: StateName = "X"
        let y: StateName = "Y"
        let machine = Fixture.machine(
            try Schema([.a: StateSpec(), x: StateSpec(auto: true), y: StateSpec(remove: [x], auto: true)]))
        let recorder = DTxRecorder()
        machine.attach(recorder)
        let log = HandlerLog(machine, vetoes: ["XExit"])
        #expect(machine.add1(x) == .executed)
        // The auto transition calls Y, which removes X; XExit vetoes: the auto transition is
        // cancelled (Go's drainer crashes here, bug 18).
        #expect(machine.activeStates() == [x])
        #expect(machine.time([x, y]) == [1, 0])
        #expect(log.take() == seq("XEnter AnyEnter XState AnyState XExit"))
        let autos = recorder.transitions.filter(\.isAuto)
        #expect(autos.count == 1)
        #expect(autos.first?.calledStates == [y])
        #expect(autos.first?.result == .canceled)
        // The machine goes on working; the next change tries again, with the same outcome.
        #expect(machine.add1(.a) == .executed)
        #expect(machine.activeStates() == [.a, x])
        #expect(recorder.transitions.filter(\.isAuto).last?.result == .canceled)
    }

    // MARK: D20

    @Test func testTracerSeesEveryTransition() throws {
        let recorder = DTxRecorder()
        let machine = Machine(
            try Fixture.rels(), id: "d20",
            configuration: Machine.Configuration(handlerTimeout: nil, tracers: [recorder]))
        #expect(machine.add1(.b) == .executed)  // 1, then the auto transition for A: 2
        #expect(machine.canAdd1(.d) == .executed)  // 3, a dry run
        #expect(machine.set([.a]) == .canceled)  // 4, rejected by Require
        #expect(machine.remove1(.d) == .executed)  // 5, an empty transition
        #expect(machine.activeStates() == [.a, .b, .c])
        // Ids are a per-machine sequence from 1; every transition is started and ended.
        var expected: [DTxRecorder.Seen] = []
        for id in UInt64(1)...5 {
            expected.append(.init(event: "start", id: id, machineId: "d20"))
            expected.append(.init(event: "end", id: id, machineId: "d20"))
        }
        #expect(recorder.seen == expected)
        let txs = recorder.transitions
        #expect(txs.map(\.isAuto) == [false, true, false, false, false])
        #expect(txs.map(\.isCheck) == [false, false, true, false, false])
        #expect(txs.map(\.result) == [.executed, .executed, .executed, .canceled, .executed])

        // Another machine starts its own sequence at 1.
        let recorder2 = DTxRecorder()
        let other = Machine(
            try Fixture.noRels(), id: "d20b",
            configuration: Machine.Configuration(handlerTimeout: nil, tracers: [recorder2]))
        other.add1(.a)
        #expect(recorder2.seen.map(\.id) == [1, 1])
    }
}
