import AsyncMachine
import Synchronization
import Testing

extension StateName {
    fileprivate static let busy: Self = "Busy"
    fileprivate static let idle: Self = "Idle"
}

/// The README's example, run as written (with `doWork` a short sleep).
@Suite struct ReadmeExampleTests {
    @Test func readmeExampleBehavesAsDescribed() async throws {
        let machine = Machine(
            try Schema([
                .start: StateSpec(),
                .ready: StateSpec(require: [.start]),
                .busy: StateSpec(require: [.ready], remove: [.idle]),
                .idle: StateSpec(require: [.ready], remove: [.busy], auto: true),
            ]), id: "worker")
        let workDone = Atomic<Int>(0)
        machine.onEnter(.busy) { event in (try? event.args.int("job")) != nil }
        machine.onState(.busy) { event in
            event.machine.stateContext(.busy).task {
                try? await Task.sleep(for: .milliseconds(20))
                workDone.add(1, ordering: .relaxed)
                event.machine.add1(.idle)
            }
        }

        #expect(machine.add([.start, .ready]) == .executed)
        #expect(machine.activeStates() == [.start, .ready, .idle], "Idle is Auto")
        #expect(machine.add1(.busy) == .canceled, "the Enter handler vetoes a job-less Busy")
        #expect(machine.add1(.busy, ["job": 42]) == .executed)
        #expect(machine.activeStates() == [.start, .ready, .busy], "Busy removed Idle")
        try await machine.when1(.idle, timeout: .seconds(5))
        #expect(workDone.load(ordering: .relaxed) == 1)
        #expect(machine.not1(.busy))
    }
}
