import AsyncMachine
import AsyncMachineNode
import Testing

@Suite("Pool events derived from transitions")
struct PoolEventTests {
    private func record(machine: String, _ type: MutationType, called: [StateName], entered: [StateName], args: Args = [:]) -> TransitionRecord {
        TransitionRecord(machineId: machine, id: 1, type: type, called: called, args: args, isAuto: false, isCheck: false,
                         accepted: true, result: "executed", entered: entered, exited: [], timeBefore: [], timeAfter: [],
                         startedAt: 10, endedAt: 20)
    }

    @Test("a supervisor's ErrWorker names the worker from its args and carries the error text")
    func supervisorError() {
        let events = PoolEvent.events(for: record(machine: "ns-demo", .add, called: [.errWorker, .exception],
                                                  entered: [.errWorker, .exception],
                                                  args: ["worker": "w4", "err": "process 77 killed by signal 9"]), worker: nil)
        #expect(events.map(\.kind) == [.transition, .error])
        #expect(events[1].worker == "w4")
        #expect(events[1].error == "ErrWorker: process 77 killed by signal 9")
        #expect(events[1].time == 20)
    }

    @Test("a worker mirror's sync names only the error states it raised")
    func mirrorError() {
        let events = PoolEvent.events(for: record(machine: "rnm-nw-1", .set, called: [.start, .ready, .idle, .errWork, .exception],
                                                  entered: [.exception, .errWork, .idle]), worker: "w2")
        #expect(events.count == 2)
        #expect(events[1].worker == "w2")
        #expect(events[1].error == "ErrWork")
    }

    @Test("a transition that raises nothing is one event")
    func noError() {
        let events = PoolEvent.events(for: record(machine: "ns-demo", .add, called: [.poolReady], entered: [.poolReady]), worker: nil)
        #expect(events.map(\.kind) == [.transition])
    }
}
