import AsyncMachine
import Foundation
import Synchronization
import Testing

/// Records transitions and drain ends in order (the stand-in for `WhenQueueEnds`).
fileprivate final class QueueEventRecorder: Tracer {
    private let list = Mutex<[String]>([])
    func transitionEnd(_ transition: Transition) {
        let called = transition.calledStates.map(\.rawValue).joined(separator: ",")
        list.withLock { $0.append("\(transition.type.rawValue):\(called)") }
    }
    func queueEnd(_ machine: Machine) { list.withLock { $0.append("queueEnd") } }
    var all: [String] { list.withLock { $0 } }
}

/// Polls `condition` (up to `seconds`) from inside a handler; true when it held.
fileprivate func spin(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

/// machine-semantics.md §9.6, cases 37-42: the queue.
@Suite struct Conformance6QueueTests {
    // MARK: Case 37

    @Test func testQueue() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        // After the start `set`, the queue tick is 2.
        #expect(machine.queueTick == 2)
        let inner = Box<MutationResult?>(nil)
        let log = HandlerLog(machine)
        machine.onEnter(.b) { e in
            inner.value = e.machine.add([.c])
            return true
        }
        #expect(machine.set([.b]) == .executed)
        #expect(inner.value == .queued(4))
        #expect(machine.activeStates() == [.b, .c])
        let names = log.take()
        #expect(names == seq("AExit BEnter AB AnyEnter AEnd BState AnyState CEnter BB BC AnyEnter CState AnyState"))
        // Every handler once, except AnyEnter and AnyState (one per transition).
        for name in Set(names) {
            let count = names.filter { $0 == name }.count
            #expect(count == (name.hasPrefix("Any") ? 2 : 1), "\(name) ran \(count) times")
        }
    }

    // MARK: Case 38

    @Test func testNestedMutation() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.b])
        let lengths = Box<[Int]>([])
        let results = Box<[MutationResult]>([])
        machine.onState(.a) { e in
            let m = e.machine
            for _ in 0..<3 { results.update { $0.append(m.add1(.b)) } }
            lengths.update { $0.append(m.queueLength) }
            results.update { $0.append(m.remove1(.b)) }
            lengths.update { $0.append(m.queueLength) }
            results.update { $0.append(m.remove1(.b)) }
            lengths.update { $0.append(m.queueLength) }
        }
        #expect(machine.add([.a]) == .executed)
        // The duplicates are dropped: queue lengths 1, 2, 2 as in Go.
        #expect(lengths.value == [1, 2, 2])
        // D3: a dropped duplicate returns the queue tick of the queued mutation it repeats
        // (Go returns Executed for it).
        #expect(results.value == [.queued(4), .queued(4), .queued(4), .queued(5), .queued(5)])
        #expect(machine.activeStates() == [.a])
    }

    // MARK: Case 39

    @Test func testQueueCheckable() throws {
        // IsQueued / WillBe are not ported: the closest observable behaviour is the queue
        // length and the queue ticks handed out, in FIFO order.
        let machine = Fixture.machine(try Fixture.noRels())
        let length = Box(-1)
        let results = Box<[MutationResult]>([])
        machine.onState(.a) { e in
            let m = e.machine
            results.value = [m.add([.b]), m.add([.c]), m.add([.d])]
            length.value = m.queueLength
        }
        #expect(machine.add([.a]) == .executed)
        #expect(length.value == 3)
        #expect(results.value == [.queued(3), .queued(4), .queued(5)])
        #expect(machine.activeStates() == [.a, .b, .c, .d])
        #expect(!machine.isErr)
    }

    // MARK: Case 40

    @Test func testWhenQueue() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let res = Box<MutationResult?>(nil)
        machine.onState(.a) { e in
            let m = e.machine
            m.add1(.b)
            m.add1(.c)
            res.value = m.add1(.d)
        }
        // add(A) will run at queue tick 2, and B, C, D at 3, 4, 5: tick 5 is not reached yet.
        await #expect(throws: MachineError.timeout) {
            try await machine.whenQueue(5, timeout: .milliseconds(50))
        }
        let started = Box(false)
        let waiter = Task {
            started.value = true
            try await machine.whenQueue(5, timeout: .seconds(5))
            return machine.is([.a, .b, .c, .d])
        }
        while !started.value { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(machine.add1(.a) == .executed)
        #expect(res.value == .queued(5))
        #expect(try await waiter.value)
        // Waiting for the returned tick after the fact returns at once.
        try await machine.whenQueue(5, timeout: .seconds(5))
        #expect(machine.activeStates() == [.a, .b, .c, .d])
    }

    // MARK: Case 41

    @Test func testWhenQueueEnds() async throws {
        // WhenQueueEnds is not ported: the closest observable behaviour is the tracer's
        // `queueEnd`, called once when the drain (including the queued add B) ends, and
        // `isBusy`, true for another thread while the drain runs.
        let machine = Fixture.machine(try Fixture.noRels())
        let recorder = QueueEventRecorder()
        machine.attach(recorder)
        let busySeenByOtherThread = Box<Bool?>(nil)
        machine.onState(.a) { e in
            let m = e.machine
            m.add1(.b)
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                busySeenByOtherThread.value = m.isBusy
                done.signal()
            }
            _ = done.wait(timeout: .now() + 5)
        }
        #expect(machine.add1(.a) == .executed)
        #expect(busySeenByOtherThread.value == true)
        #expect(recorder.all == ["add:A", "add:B", "queueEnd"])
        #expect(!machine.isBusy)
        #expect(machine.activeStates() == [.a, .b])
    }

    // MARK: Case 42

    @Test func testEval() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        // Eval from outside runs its function and returns true.
        let ran = Box(false)
        #expect(await machine.eval { ran.value = true })
        #expect(ran.value)

        // D17: `eval` is async and handlers are synchronous, so an eval cannot be nested in a
        // handler or in another eval (Go's TestEvalNested*). The Swift way is the Go "Fork"
        // case: a task started from a handler evals, and the eval runs between transitions,
        // before work the handler queued (evals are prepended).
        let seen = Box<[StateName]?>(nil)
        let evalTask = Box<Task<Bool, Never>?>(nil)
        machine.onState(.a) { e in
            let m = e.machine
            m.add1(.b)
            evalTask.value = Task { await m.eval { seen.value = m.activeStates() } }
            // Hold the transition until the eval is queued behind it (add B + the eval).
            _ = spin(seconds: 30) { m.queueLength >= 2 }
        }
        // The handler spins, so run it on a thread of its own: on a cooperative thread it
        // could starve the pool the eval's task needs (2 threads here, shared by the suite).
        let added = await withCheckedContinuation { (c: CheckedContinuation<MutationResult, Never>) in
            Thread { c.resume(returning: machine.add1(.a)) }.start()
        }
        #expect(added == .executed)
        let task = try #require(evalTask.value)
        #expect(await task.value == true)
        #expect(seen.value == [.a])
        #expect(machine.activeStates() == [.a, .b])
        #expect(!machine.isErr)

        // A disposed machine refuses evals.
        machine.dispose()
        let late = Box(false)
        #expect(await machine.eval { late.value = true } == false)
        #expect(!late.value)
    }
}
