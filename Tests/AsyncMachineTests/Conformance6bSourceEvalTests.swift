import AsyncMachine
import Synchronization
import Testing

/// machine-semantics.md §4.5 (TestEvMutations) and the nested parts of case 42.
@Suite struct Conformance6bSourceEvalTests {
    @Test func testEvMutations() throws {
        let machine = Fixture.machine(try Fixture.noRels(), id: "ev")
        let source = Mutex<MutationSource?>(nil)
        machine.onState(.a) { e in
            e.machine.add1(.b, source: e.source)
        }
        machine.onState(.b) { e in source.withLock { $0 = e.transition.mutation.source } }
        #expect(machine.add1(.a) == .executed)
        #expect(machine.activeStates() == [.a, .b])
        let seen = try #require(source.withLock { $0 })
        #expect(seen.machineId == "ev")
        #expect(seen.transitionId == 1, "the A transition caused B")
        #expect(seen.machineTime == 0, "the machine time before the A transition")
    }

    /// D17: Go's nested eval returns false and never runs the inner function. In Swift an
    /// eval body is synchronous; the nearest thing, an eval started from inside another
    /// eval's body, runs after the outer one, and both report true.
    @Test func testEvalNested() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let order = LineCollector()
        let inner = TaskBox()
        let outer = await machine.eval {
            order.add("outer-start")
            inner.set(Task { await machine.eval { order.add("inner") } })
            order.add("outer-end")
        }
        #expect(outer)
        let task = try #require(inner.get())
        #expect(await task.value)
        #expect(order.all == ["outer-start", "outer-end", "inner"])
        #expect(!machine.isErr)
    }
}

private final class TaskBox: Sendable {
    private let task = Mutex<Task<Bool, Never>?>(nil)
    func set(_ value: Task<Bool, Never>) { task.withLock { $0 = value } }
    func get() -> Task<Bool, Never>? { task.withLock { $0 } }
}
