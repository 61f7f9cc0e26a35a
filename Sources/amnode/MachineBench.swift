import ArgumentParser
import AsyncMachine
import Synchronization

/// `amnode bench machine`: the core scenarios S1-S5 of issue 2, exactly as specified.
struct MachineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machine",
        abstract: "Mutation throughput of the state-machine core (scenarios S1-S5).",
        discussion: """
            Prints one JSON line per scenario: name, iterations, median ns per mutation over \
            the timed runs (after one warm-up run), mutations per second, peak RSS and \
            whether every check passed. Exits 1 when a check fails.
            """
    )

    @Option(help: "Iterations per timed run.")
    var iterations = 200_000

    @Option(help: "Timed runs per scenario; the median is reported.")
    var runs = 5

    @Option(help: "Run only scenarios whose name starts with this (for example S2).")
    var only: String?

    mutating func run() async throws {
        var allVerified = true
        for scenario in MachineScenario.all where only.map(scenario.name.hasPrefix) ?? true {
            let outcome = scenario.measure(iterations: iterations, runs: runs)
            var line = JSONLine()
            line.add("bench", "machine")
            line.add("name", scenario.name)
            line.add("iterations", iterations)
            line.add("runs", runs)
            line.add("mutations_per_iteration", scenario.mutationsPerIteration)
            line.add("median_ns_per_mutation", outcome.medianNanosPerMutation)
            line.add("mutations_per_second", 1e9 / outcome.medianNanosPerMutation, decimals: 0)
            line.add("peak_rss_bytes", peakRSSBytes())
            line.add("verified", outcome.failure == nil)
            if let failure = outcome.failure { line.add("failure", failure) }
            print(line.text)
            allVerified = allVerified && outcome.failure == nil
        }
        if !allVerified { throw ExitCode(1) }
    }
}

/// One benchmark scenario: a machine set up fresh, one iteration body, and a check over
/// everything that ran (warm-up included).
struct MachineScenario: Sendable {
    struct Outcome {
        var medianNanosPerMutation: Double
        var failure: String?
    }

    /// A prepared machine: `iterate` runs one iteration and returns false on a bad result;
    /// `verify` checks the state after `total` iterations.
    struct Prepared {
        var iterate: () -> Bool
        var verify: (_ total: Int) -> String?
        /// The machine under test, for benchmarks that attach a tracer to it.
        var machine: Machine? = nil
    }

    let name: String
    let mutationsPerIteration: Int
    let prepare: @Sendable () throws -> Prepared

    /// `tracer`: attached to the scenario's machine before the warm-up.
    func measure(iterations: Int, runs: Int, tracer: (any Tracer)? = nil) -> Outcome {
        let prepared: Prepared
        do {
            prepared = try prepare()
        } catch {
            return Outcome(medianNanosPerMutation: .nan, failure: "setup failed: \(error)")
        }
        if let tracer { prepared.machine?.attach(tracer) }
        var failure: String?
        var total = 0
        func run(_ count: Int) -> UInt64 {
            let start = nowNanos()
            for _ in 0..<count where !prepared.iterate() && failure == nil {
                failure = "an iteration returned an unexpected result"
            }
            total += count
            return nowNanos() - start
        }
        _ = run(max(1, iterations / 5))
        var perMutation: [Double] = []
        for _ in 0..<max(1, runs) {
            let elapsed = run(iterations)
            perMutation.append(Double(elapsed) / Double(iterations * mutationsPerIteration))
        }
        if failure == nil { failure = prepared.verify(total) }
        return Outcome(medianNanosPerMutation: median(perMutation), failure: failure)
    }

    static let all: [MachineScenario] = [s1Toggle, s2RelationsHandlers, s3Multi, s4Canceled, s5QueuedFromHandler]

    static let s1Toggle = MachineScenario(name: "S1_toggle", mutationsPerIteration: 2) {
        let names: [StateName] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]
        let machine = Machine(try Schema(pairs: names.map { ($0, StateSpec()) }), id: "S1")
        let a: StateName = "A"
        return Prepared(
            iterate: { machine.add1(a) == .executed && machine.remove1(a) == .executed },
            verify: { total in
                machine.tick(a) == UInt64(2 * total) ? nil : "tick(A) is \(machine.tick(a)), expected \(2 * total)"
            })
    }

    static let s2RelationsHandlers = MachineScenario(name: "S2_relations_handlers", mutationsPerIteration: 2) {
        let busy: StateName = "Busy"
        let idle: StateName = "Idle"
        let machine = Machine(
            try Schema([
                .start: StateSpec(),
                .ready: StateSpec(require: [.start]),
                busy: StateSpec(require: [.ready], remove: [idle]),
                idle: StateSpec(require: [.ready], remove: [busy]),
                "U1": StateSpec(), "U2": StateSpec(), "U3": StateSpec(),
                "U4": StateSpec(), "U5": StateSpec(), "U6": StateSpec(),
            ]), id: "S2")
        guard machine.add([.start, .ready]) == .executed else { throw BenchSetupError("Start, Ready not active") }
        machine.onEnter(busy) { _ in true }
        machine.onState(busy) { _ in }
        machine.onEnter(idle) { _ in true }
        machine.onState(idle) { _ in }
        let busyBase = machine.tick(busy)
        let idleBase = machine.tick(idle)
        return Prepared(
            iterate: { machine.add1(busy) == .executed && machine.add1(idle) == .executed },
            verify: { total in
                // Every iteration activates and deactivates Busy; Idle starts inactive, so it
                // is one tick short of 2 per iteration.
                let busyTicks = machine.tick(busy) - busyBase
                let idleTicks = machine.tick(idle) - idleBase
                if busyTicks != UInt64(2 * total) { return "Busy ticked \(busyTicks), expected \(2 * total)" }
                if idleTicks != UInt64(2 * total - 1) { return "Idle ticked \(idleTicks), expected \(2 * total - 1)" }
                if machine.activeStates() != [.start, .ready, idle] { return "active at the end: \(machine.activeStates())" }
                return nil
            }, machine: machine)
    }

    static let s3Multi = MachineScenario(name: "S3_multi", mutationsPerIteration: 1) {
        let event: StateName = "Event"
        let machine = Machine(try Schema([event: StateSpec(multi: true)]), id: "S3")
        let counter = Atomic<Int>(0)
        machine.onState(event) { _ in counter.add(1, ordering: .relaxed) }
        return Prepared(
            iterate: { machine.add1(event) == .executed },
            verify: { total in
                let count = counter.load(ordering: .relaxed)
                return count == total ? nil : "counter is \(count), expected \(total)"
            })
    }

    static let s4Canceled = MachineScenario(name: "S4_canceled", mutationsPerIteration: 1) {
        let busy: StateName = "Busy"
        let machine = Machine(
            try Schema([
                .start: StateSpec(),
                .ready: StateSpec(require: [.start]),
                busy: StateSpec(require: [.ready]),
            ]), id: "S4")
        return Prepared(
            iterate: { machine.add1(busy) == .canceled },
            verify: { _ in machine.activeStates().isEmpty ? nil : "active: \(machine.activeStates())" })
    }

    static let s5QueuedFromHandler = MachineScenario(name: "S5_queued_from_handler", mutationsPerIteration: 2) {
        let ping: StateName = "Ping"
        let pong: StateName = "Pong"
        let machine = Machine(try Schema([ping: StateSpec(multi: true), pong: StateSpec(multi: true)]), id: "S5")
        let nestedNotQueued = Atomic<Int>(0)
        machine.onState(ping) { event in
            guard case .queued = event.machine.add1(pong) else {
                nestedNotQueued.add(1, ordering: .relaxed)
                return
            }
        }
        return Prepared(
            iterate: { machine.add1(ping) == .executed },
            verify: { total in
                let expected = UInt64(2 * total)
                if nestedNotQueued.load(ordering: .relaxed) != 0 { return "a nested add1 was not queued" }
                // Multi: the first activation makes the tick 1, every later one adds 2.
                if machine.tick(ping) != expected - 1 { return "Ping tick \(machine.tick(ping)), expected \(expected - 1)" }
                if machine.tick(pong) != expected - 1 { return "Pong tick \(machine.tick(pong)), expected \(expected - 1)" }
                if machine.queueLength != 0 { return "queue not empty: \(machine.queueLength)" }
                return nil
            })
    }
}

struct BenchSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
