@testable import AsyncMachine
import Dispatch
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The queue tick used to move when a mutation was taken off the queue, so `whenQueue`
/// called while that mutation ran returned before it finished, and `export` carried the
/// tick without the change.
@Suite struct WhenQueueRegressionTests {
    @Test func whenQueueCalledDuringTheMutationWaitsForItsEnd() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.onState(.a) { e in
            e.machine.add1(.d)  // queued
        }
        let dRunning = Box(false)
        machine.onEnter(.d) { e in
            dRunning.value = true
            usleep(100_000)  // D is running for 100 ms
            return true
        }
        DispatchQueue.global().async {
            machine.add1(.a)
        }
        // Wait until D has been taken off the queue and is running.
        while !dRunning.value { usleep(1_000) }
        let dTick = machine.queueTick
        #expect(machine.export().queueTick < dTick, "an export during D does not claim D's tick")
        try await machine.whenQueue(dTick, timeout: .seconds(5))
        #expect(machine.is1(.d), "whenQueue returned only after D finished")
    }
}

/// Remote clocks arrive coalesced: a state that went on and off between two updates
/// must still run its State and End handlers on the mirror (found when a worker's
/// ClientConnected pulse never released the worker on the supervisor's mirror).
@Suite struct RemoteClockPulseTests {
    @Test func pulseBetweenTwoClocksRunsStateThenEnd() throws {
        let mirror = Fixture.machine(try Fixture.noRels())
        let log = HandlerLog(mirror)
        mirror.applyRemoteClock([0, 2, 0, 0, 0], queueTick: 3)  // B went on and off
        #expect(log.take() == seq("BState BEnd AnyState"))
        #expect(mirror.not1(.b) && mirror.tick(.b) == 2)
    }

    @Test func tracersSeeAPulseAsEnteredAndExited() throws {
        let mirror = Fixture.machine(try Fixture.noRels())
        let tracer = StepsTracer()
        mirror.attach(tracer)
        mirror.applyRemoteClock([0, 2, 0, 0, 0], queueTick: 3)
        let record = TransitionRecord(try #require(tracer.transitions.last))
        #expect(record.entered == [.b] && record.exited == [.b])
        #expect(record.timeBefore == [0, 0, 0, 0, 0] && record.timeAfter == [0, 2, 0, 0, 0])
    }

    @Test func nonMultiStateOffAndOnAgainRunsEndThenState() throws {
        let mirror = Fixture.machine(try Fixture.noRels())
        mirror.applyRemoteClock([1, 0, 0, 0, 0], queueTick: 2)
        let log = HandlerLog(mirror)
        mirror.applyRemoteClock([3, 0, 0, 0, 0], queueTick: 4)  // A went off and on
        #expect(log.take() == seq("AEnd AState AnyState"))
    }

    @Test func multiReentryIsAnEnterOnly() throws {
        let mirror = Fixture.machine(try Fixture.noRels([.a: StateSpec(multi: true)]))
        mirror.applyRemoteClock([1, 0, 0, 0, 0], queueTick: 2)
        let log = HandlerLog(mirror)
        mirror.applyRemoteClock([3, 0, 0, 0, 0], queueTick: 3)
        #expect(log.take() == seq("AState AnyState"))
    }
}
