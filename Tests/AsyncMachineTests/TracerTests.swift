import AsyncMachine
import Logging
import Synchronization
import Testing

@Suite struct TracerTests {
    @Test func tracerSeesClocksBeforeAndAfterAndSteps() throws {
        let machine = Fixture.machine(try Fixture.noRels([.c: StateSpec(require: [.d])]))
        let tracer = StepsTracer()
        machine.attach(tracer)
        machine.add1(.a)
        machine.add1(.c)  // canceled: C requires D
        let txs = tracer.transitions
        #expect(txs.count == 2)
        #expect(txs[0].timeBefore == [0, 0, 0, 0, 0])
        #expect(txs[0].timeAfter == [1, 0, 0, 0, 0])
        #expect(txs[0].result == .executed)
        #expect(txs[0].steps.contains(Step(kind: .activate, to: 0)))
        #expect(txs[1].result == .canceled)
        #expect(!txs[1].isAccepted)
        #expect(txs[1].steps.contains(Step(kind: .relation, from: 2, to: 3, relation: .require)))
        #expect(txs[1].timeAfter == txs[1].timeBefore)
        #expect(txs[0].id < txs[1].id)
        #expect(txs[0].startedAt > 0 && txs[0].endedAt >= txs[0].startedAt)
    }

    @Test func vetoedAndDryRunTransitionsEndWithTheUnchangedClock() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.onEnter(.b) { _ in false }
        let tracer = StepsTracer()
        machine.attach(tracer)
        #expect(machine.add1(.b) == .canceled)  // vetoed in negotiation, after the prediction
        #expect(machine.canAdd1(.a) == .executed)  // a dry run: nothing changes
        let txs = tracer.transitions
        #expect(txs.count == 2)
        #expect(txs.allSatisfy { $0.timeAfter == $0.timeBefore }, "\(txs.map(\.timeAfter))")
        #expect(machine.time() == [0, 0, 0, 0, 0])
    }

    @Test func aTracerAttachedTwiceSeesEachTransitionOnce() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let tracer = StepsTracer()
        machine.attach(tracer)
        machine.attach(tracer)
        machine.add1(.a)
        #expect(tracer.transitions.count == 1)
        #expect(machine.detach(tracer))
        machine.add1(.b)
        #expect(tracer.transitions.count == 1)
    }

    @Test func detachedTracerSeesNothingMore() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let tracer = StepsTracer()
        machine.attach(tracer)
        machine.add1(.a)
        #expect(machine.detach(tracer))
        machine.add1(.b)
        #expect(tracer.transitions.count == 1)
        #expect(!machine.detach(tracer))
    }

    @Test func loggingTracerWritesOneLinePerTransition() throws {
        let lines = LineCollector()
        let logger = Logger(label: "test") { _ in CollectingHandler(lines: lines) }
        let machine = Fixture.machine(try Fixture.noRels([.c: StateSpec(require: [.d])]), id: "w1")
        machine.attach(LoggingTracer(logger: logger, level: .info))
        machine.add1(.a, ["n": 1])
        machine.set([.b])
        machine.add1(.c)
        #expect(lines.all == [
            "[w1] [add] A -> +A (n=1)",
            "[w1] [set] B -> +B -A",
            "[w1] [cancel] add C",
        ])
    }
}

final class StepsTracer: Tracer {
    private let list = Mutex<[Transition]>([])
    var wantsSteps: Bool { true }
    func transitionEnd(_ transition: Transition) { list.withLock { $0.append(transition) } }
    var transitions: [Transition] { list.withLock { $0 } }
}

final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CollectingHandler: LogHandler {
    let lines: LineCollector
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { lines.add(event.message.description) }
}
