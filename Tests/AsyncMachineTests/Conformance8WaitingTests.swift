import AsyncMachine
import Synchronization
import Testing

/// How a wait ended.
fileprivate enum WaitOutcome: Equatable, Sendable {
    case ok, timeout, cancelled, disposed
    case other(String)
}

fileprivate func outcome(_ body: @Sendable () async throws -> Void) async -> WaitOutcome {
    do {
        try await body()
        return .ok
    } catch MachineError.timeout {
        return .timeout
    } catch MachineError.disposed {
        return .disposed
    } catch is CancellationError {
        return .cancelled
    } catch {
        return .other(String(describing: error))
    }
}

/// A wait running in its own task, started (registered) before the test goes on.
fileprivate final class Waiting: Sendable {
    private let started = Mutex(false)
    private let finished = Mutex<WaitOutcome?>(nil)
    private let task = Mutex<Task<WaitOutcome, Never>?>(nil)

    /// Starts `body` and returns once it has had time to register its waiter (waiters
    /// register synchronously when the call begins).
    static func start(_ body: @escaping @Sendable () async throws -> Void) async -> Waiting {
        let w = Waiting()
        let t = Task {
            w.started.withLock { $0 = true }
            let result = await outcome(body)
            w.finished.withLock { $0 = result }
            return result
        }
        w.task.withLock { $0 = t }
        while !w.started.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(2)) }
        try? await Task.sleep(for: .milliseconds(30))
        return w
    }

    /// Nil while the wait is still running.
    var done: WaitOutcome? { finished.withLock { $0 } }

    var value: WaitOutcome {
        get async { await task.withLock { $0 }!.value }
    }

    func cancel() { task.withLock { $0 }?.cancel() }
}

/// Lets queued work settle before checking that something has NOT happened.
fileprivate func settle() async { try? await Task.sleep(for: .milliseconds(50)) }

/// machine-semantics.md §9.8, cases 45-52: waiting and state contexts.
@Suite struct Conformance8WaitingTests {
    // MARK: Case 45

    @Test func testWhen() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let w = await Waiting.start { try await machine.when([.b, .c], timeout: .seconds(5)) }
        machine.add1(.b)
        await settle()
        #expect(w.done == nil)
        _ = await Task.detached { machine.add1(.c) }.value
        #expect(await w.value == .ok)
        #expect(machine.activeStates() == [.b, .c])
    }

    @Test func testWhen2() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let w1 = await Waiting.start { try await machine.when([.a, .b], timeout: .seconds(5)) }
        let w2 = await Waiting.start { try await machine.when([.a, .b], timeout: .seconds(5)) }
        await Task.detached {
            machine.add1(.a)
            machine.add1(.b)
        }.value
        #expect(await w1.value == .ok)
        #expect(await w2.value == .ok)
    }

    @Test func testWhenActive() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        // Already active: returns at once, well within a short timeout.
        #expect(await outcome { try await machine.when([.a], timeout: .milliseconds(200)) } == .ok)
        #expect(await outcome { try await machine.when1(.a, timeout: .milliseconds(200)) } == .ok)
    }

    @Test func testWhenDups() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let wA = await Waiting.start { try await machine.when([.a], timeout: .seconds(5)) }
        let wAB = await Waiting.start { try await machine.when([.a, .b], timeout: .seconds(5)) }
        let wAC = await Waiting.start { try await machine.when([.a, .c], timeout: .seconds(5)) }
        machine.set([.a])
        #expect(await wA.value == .ok)
        await settle()
        #expect(wAB.done == nil)
        #expect(wAC.done == nil)
        // The overlapping waiters were not disturbed: each still resumes on its own set.
        machine.add1(.b)
        #expect(await wAB.value == .ok)
        #expect(wAC.done == nil)
        machine.add1(.c)
        #expect(await wAC.value == .ok)
    }

    // MARK: Case 46

    @Test func testWhenNot() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        let w = await Waiting.start { try await machine.whenNot([.a, .b], timeout: .seconds(5)) }
        machine.remove1(.a)
        await settle()
        #expect(w.done == nil)
        _ = await Task.detached { machine.remove1(.b) }.value
        #expect(await w.value == .ok)
    }

    @Test func testWhenNot2() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        let w1 = await Waiting.start { try await machine.whenNot([.a, .b], timeout: .seconds(5)) }
        let w2 = await Waiting.start { try await machine.whenNot1(.a, timeout: .seconds(5)) }
        machine.remove([.a, .b])
        #expect(await w1.value == .ok)
        #expect(await w2.value == .ok)
    }

    @Test func testWhenNotActive() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        #expect(await outcome { try await machine.whenNot([.b], timeout: .milliseconds(200)) } == .ok)
    }

    // MARK: Case 47

    @Test func testWhenTime() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        #expect(machine.time([.a, .b]) == [1, 1])
        let w = await Waiting.start { try await machine.whenTime([.a, .b], [5, 2], timeout: .seconds(5)) }
        machine.remove([.a, .b])
        machine.add([.a, .b])
        #expect(machine.time([.a, .b]) == [3, 3])
        await settle()
        #expect(w.done == nil)
        machine.remove1(.a)
        machine.add1(.a)
        #expect(machine.time([.a, .b]) == [5, 3])
        #expect(await w.value == .ok)

        let w9 = await Waiting.start { try await machine.whenTime([.a, .b], [9, 2], timeout: .seconds(5)) }
        machine.remove1(.a)
        machine.add1(.a)
        await settle()
        #expect(w9.done == nil)
        machine.remove1(.a)
        machine.add1(.a)
        #expect(machine.tick(.a) == 9)
        #expect(await w9.value == .ok)
    }

    // MARK: Case 48

    @Test func testWhenArgs() async throws {
        let machine = Fixture.machine(try Fixture.rels())
        let w = await Waiting.start { try await machine.whenArgs(.b, ["foo": "bar"], timeout: .seconds(5)) }
        machine.add1(.b, ["foo": "foo"])
        await settle()
        #expect(w.done == nil)
        // B is Multi: the second call re-enters it with matching args.
        machine.add1(.b, ["foo": "bar"])
        #expect(await w.value == .ok)
        #expect(machine.tick(.b) == 3)
    }

    // MARK: Case 49

    @Test func testWhenCtx() async throws {
        let machine = Fixture.machine(
            try Schema([.a: StateSpec(), .b: StateSpec(), .c: StateSpec(), .d: StateSpec(multi: true)]))
        machine.set([.a, .b])
        // Go's shared ctx is the parent task: cancelling it cancels every wait below.
        let started = Box(0)
        let parent = Task { () -> [WaitOutcome] in
            await withTaskGroup(of: WaitOutcome.self) { group in
                let waits: [@Sendable () async throws -> Void] = [
                    { try await machine.whenTime([.a, .b], [3, 3], timeout: .seconds(5)) },
                    { try await machine.whenTicks(.a, 2, timeout: .seconds(5)) },
                    { try await machine.whenTime([.b], [3], timeout: .seconds(5)) },
                    { try await machine.whenArgs(.b, ["foo": "bar"], timeout: .seconds(5)) },
                    { try await machine.when1(.c, timeout: .seconds(5)) },
                ]
                for wait in waits {
                    group.addTask {
                        started.update { $0 += 1 }
                        return await outcome(wait)
                    }
                }
                var outcomes: [WaitOutcome] = []
                for await o in group { outcomes.append(o) }
                return outcomes
            }
        }
        while started.value < 5 { try await Task.sleep(for: .milliseconds(2)) }
        try await Task.sleep(for: .milliseconds(30))
        parent.cancel()
        // D9: a cancelled wait ends at once with CancellationError (Go releases it only at
        // the next accepted transition, hence the Add1(D) calls of the Go test).
        let outcomes = await parent.value
        #expect(outcomes == Array(repeating: .cancelled, count: 5))
        for _ in 0..<3 { #expect(machine.add1(.d) == .executed) }
        #expect(machine.tick(.d) == 5)
        // The cancelled waiters are gone and do not disturb new ones.
        let fresh = await Waiting.start { try await machine.whenTicks(.a, 2, timeout: .seconds(5)) }
        machine.remove1(.a)
        machine.add1(.a)
        #expect(await fresh.value == .ok)

        // Mismatched lengths: Go adds an Exception and returns a closed channel; the Swift
        // wait ends at once by throwing (the closest mapping of an invalid argument).
        let mismatched = await outcome { try await machine.whenTime([.a, .b], [1], timeout: .seconds(5)) }
        if case .other(let text) = mismatched {
            #expect(text.contains("ticks"))
        } else {
            Issue.record("mismatched whenTime ended with \(mismatched)")
        }
        #expect(!machine.isErr)
    }

    // MARK: Case 50

    @Test func testChanReuse() async throws {
        // Channel reuse is not ported: the observable promise is that two identical waiters
        // registered at the same time both resume.
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        var waits: [(String, Waiting)] = []
        for _ in 0..<2 {
            waits.append(("whenTime", await Waiting.start { try await machine.whenTime([.a], [3], timeout: .seconds(5)) }))
            waits.append(("whenArgs", await Waiting.start { try await machine.whenArgs(.b, ["foo": "bar"], timeout: .seconds(5)) }))
            waits.append(("when1", await Waiting.start { try await machine.when1(.c, timeout: .seconds(5)) }))
            waits.append(("whenNot1", await Waiting.start { try await machine.whenNot1(.a, timeout: .seconds(5)) }))
        }
        machine.add1(.b, ["foo": "bar"])
        machine.add1(.c)
        machine.remove1(.a)
        machine.add1(.a)
        #expect(machine.tick(.a) == 3)
        for (name, w) in waits {
            #expect(await w.value == .ok, "\(name)")
        }
    }

    // MARK: Case 51

    @Test func testWhenQuery() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let q1: @Sendable ([StateName: UInt64]) -> Bool = { c in c[.a]! > c[.b]! * 4 }
        let q2: @Sendable ([StateName: UInt64]) -> Bool = { c in c[.a]! < c[.b]! }
        // D9: waiters are level-triggered, so q1 already holds at (1, 0) and returns at once
        // (Go checks a query only after the next transition).
        #expect(await outcome { try await machine.whenQuery(timeout: .milliseconds(200), q1) } == .ok)
        let w2 = await Waiting.start { try await machine.whenQuery(timeout: .seconds(5), q2) }
        machine.add1(.b)
        // (1, 1)
        let w1 = await Waiting.start { try await machine.whenQuery(timeout: .seconds(5), q1) }
        machine.remove1(.a)
        // (2, 1)
        machine.add1(.a)
        // (3, 1)
        machine.remove1(.a)
        // (4, 1)
        #expect(machine.time([.a, .b]) == [4, 1])
        await settle()
        #expect(w1.done == nil)
        #expect(w2.done == nil)
        machine.add1(.a)
        // (5, 1): q1 matches, q2 does not.
        #expect(await w1.value == .ok)
        await settle()
        #expect(w2.done == nil)
        w2.cancel()
        #expect(await w2.value == .cancelled)
    }

    // MARK: Case 52

    @Test func testStateCtx() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let ctxBox = Box<StateContext?>(nil)
        let taskBox = Box<Task<Void, Never>?>(nil)
        let seenInState = Box<(live: Bool, entered: [StateName], name: String)?>(nil)
        let seenInEnd = Box<Bool?>(nil)
        let taskSawCancel = Box(false)
        machine.onState(.a) { e in
            let ctx = e.machine.stateContext(.a)
            ctxBox.value = ctx
            // Go: the transition's last handled "to" state is A.
            seenInState.value = (!ctx.isCancelled, e.transition.enteredStates, e.name)
            let task = ctx.task {
                try? await Task.sleep(for: .seconds(5))
                taskSawCancel.value = Task.isCancelled
            }
            taskBox.value = task
        }
        machine.onEnd(.a) { e in
            // D8: the context ends when the tick changes, before any final handler runs.
            seenInEnd.value = ctxBox.value?.isCancelled
        }
        #expect(machine.add1(.a) == .executed)
        let seen = try #require(seenInState.value)
        #expect(seen.live)
        #expect(seen.entered == [.a])
        #expect(seen.name == "AState")
        let ctx = try #require(ctxBox.value)
        #expect(!ctx.isCancelled)
        #expect(ctx.tick == 1)
        #expect(machine.remove([.a]) == .executed)
        #expect(ctx.isCancelled)
        #expect(seenInEnd.value == true)
        let task = try #require(taskBox.value)
        await task.value
        #expect(taskSawCancel.value)
    }

    @Test func testStateCtxBasic() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let ctxA = machine.stateContext(.a)
        #expect(!ctxA.isCancelled)
        // One context per activation.
        #expect(machine.stateContext(.a) === ctxA)
        #expect(machine.remove1(.a) == .executed)
        #expect(ctxA.isCancelled)

        // D8: the context of an inactive state is already cancelled (Go returns a live one
        // that ends when B activates).
        let ctxB = machine.stateContext(.b)
        #expect(ctxB.isCancelled)
        #expect(machine.add1(.b) == .executed)
        let ctxB2 = machine.stateContext(.b)
        #expect(!ctxB2.isCancelled)
        #expect(ctxB2.tick == 1)
        #expect(machine.remove1(.b) == .executed)
        #expect(ctxB2.isCancelled)
    }
}
