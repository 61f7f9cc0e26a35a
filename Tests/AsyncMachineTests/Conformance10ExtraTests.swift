import AsyncMachine
import Dispatch
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wait running in its own task; `start` returns once it has registered.
fileprivate final class XWaiting: Sendable {
    private let started = Box(false)
    private let finished = Box<String?>(nil)
    private let task = Box<Task<String, Never>?>(nil)

    static func start(_ body: @escaping @Sendable () async throws -> Void) async -> XWaiting {
        let w = XWaiting()
        w.task.value = Task {
            w.started.value = true
            let result: String
            do {
                try await body()
                result = "ok"
            } catch {
                result = String(describing: error)
            }
            w.finished.value = result
            return result
        }
        while !w.started.value { try? await Task.sleep(for: .milliseconds(2)) }
        try? await Task.sleep(for: .milliseconds(30))
        return w
    }

    var done: String? { finished.value }
    var value: String { get async { await task.value!.value } }
}

fileprivate let foo: StateName = "Foo"
fileprivate let bar: StateName = "Bar"

/// machine-semantics.md §9.10, X1-X15: extra cases checked against the Go code.
@Suite struct Conformance10ExtraTests {
    // MARK: X1

    @Test func testX1AddIsTransitive() throws {
        let machine = Fixture.machine(
            try Schema([
                .a: StateSpec(add: [.b]), .b: StateSpec(add: [.c]), .c: StateSpec(add: [.d]),
                .d: StateSpec(add: [.e]), .e: StateSpec(),
            ]))
        let log = HandlerLog(machine)
        #expect(machine.add([.a]) == .executed)
        // D2: Add is transitive (Go stops after two hops: {A, B, C}).
        #expect(machine.activeStates() == [.a, .b, .c, .d, .e])
        #expect(
            log.take()
                == seq("AEnter BEnter CEnter DEnter EEnter AnyEnter AState BState CState DState EState AnyState"))
    }

    // MARK: X2

    @Test func testX2OneWayRemoveWinsOverCall() throws {
        let schema = try Schema([foo: StateSpec(), bar: StateSpec(remove: [foo])])
        do {
            let machine = Fixture.machine(schema)
            machine.set([bar])
            let log = HandlerLog(machine)
            #expect(machine.add([foo]) == .canceled)
            #expect(machine.activeStates() == [bar])
            #expect(log.take() == [])
        }
        do {
            let machine = Fixture.machine(schema)
            machine.set([foo])
            let log = HandlerLog(machine)
            #expect(machine.add([bar]) == .executed)
            #expect(machine.activeStates() == [bar])
            #expect(log.take() == seq("FooExit BarEnter FooBar AnyEnter FooEnd BarState AnyState"))
        }
    }

    // MARK: X3

    @Test func testX3MutuallyExclusiveCalledStatesCancel() throws {
        let schema = try Schema([foo: StateSpec(remove: [bar]), bar: StateSpec(remove: [foo])])
        for called in [[foo, bar], [bar, foo]] {
            let machine = Fixture.machine(schema)
            let log = HandlerLog(machine)
            #expect(machine.add(called) == .canceled)
            #expect(machine.activeStates() == [])
            #expect(machine.time() == [0, 0, 0])
            #expect(log.take() == [])
        }
    }

    // MARK: X4

    @Test func testX4ReadmeQuiz() throws {
        let wet: StateName = "Wet"
        let dry: StateName = "Dry"
        let water: StateName = "Water"
        let machine = Fixture.machine(
            try Schema([
                wet: StateSpec(require: [water]),
                dry: StateSpec(remove: [water]),
                water: StateSpec(add: [wet], remove: [dry]),
            ]))
        machine.set([dry])
        let log = HandlerLog(machine)
        #expect(machine.add([water]) == .executed)
        #expect(Set(machine.activeStates()) == [water, wet])
        #expect(machine.tick(dry) == 2)
        #expect(
            log.take()
                == seq("DryExit WaterEnter WetEnter DryWater DryWet AnyEnter DryEnd WaterState WetState AnyState"))
    }

    // MARK: X5

    @Test func testX5MultiReentry() throws {
        let machine = Fixture.machine(try Fixture.noRels([.a: StateSpec(multi: true)]))
        machine.set([.a])
        let ctx = machine.stateContext(.a)
        #expect(!ctx.isCancelled)
        let log = HandlerLog(machine)
        #expect(machine.add([.a]) == .executed)
        #expect(machine.tick(.a) == 3)
        #expect(ctx.isCancelled)
        #expect(log.take() == seq("AEnter AA AnyEnter AState AnyState"))
        let next = machine.stateContext(.a)
        #expect(!next.isCancelled)
        #expect(next.tick == 3)
    }

    // MARK: X6

    @Test func testX6ActiveMultiDoesNotRefireAdd() throws {
        let m: StateName = "M"
        let y: StateName = "Y"
        let z: StateName = "Z"
        let machine = Fixture.machine(try Schema([m: StateSpec(add: [y], multi: true), y: StateSpec(), z: StateSpec()]))
        #expect(machine.add([m, z]) == .executed)
        #expect(machine.activeStates() == [m, y, z])
        #expect(machine.remove([y]) == .executed)
        #expect(machine.activeStates() == [m, z])
        #expect(machine.remove([z]) == .executed)
        // D6: the active Multi M contributes its Add only when called (Go re-activates Y
        // here, Y:3).
        #expect(machine.activeStates() == [m])
        #expect(machine.tick(y) == 2)
        // Calling M re-activates it, and then its Add applies.
        #expect(machine.add([m]) == .executed)
        #expect(machine.activeStates() == [m, y])
        #expect(machine.time([m, y]) == [3, 3])
    }

    // MARK: X7

    @Test func testX7DedupeLooksAtTheLastMutationOnly() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let results = Box<[MutationResult]>([])
        let length = Box(-1)
        machine.onState(.a) { e in
            let mach = e.machine
            results.value = [mach.add1(.b), mach.remove1(.b), mach.add1(.b)]
            length.value = mach.queueLength
        }
        #expect(machine.add1(.a) == .executed)
        // D3: the last queued mutation touching B is `remove B`, so the second `add B` is
        // queued too (Go returns 3, 4, 0 and ends with B inactive).
        #expect(results.value == [.queued(3), .queued(4), .queued(5)])
        #expect(length.value == 3)
        #expect(machine.activeStates() == [.a, .b])
        #expect(machine.tick(.b) == 3)
    }

    // MARK: X8

    @Test func testX8ReaddingActiveStateSkipsItsAdd() throws {
        let machine = Fixture.machine(try Fixture.noRels([.a: StateSpec(add: [.b])]))
        machine.set([.a])
        machine.remove1(.b)
        #expect(machine.activeStates() == [.a])
        #expect(machine.add([.a]) == .executed)
        #expect(machine.activeStates() == [.a])
        #expect(machine.tick(.b) == 2)
        machine.add1(.b)
        #expect(machine.activeStates() == [.a, .b])
        #expect(machine.set([.a]) == .executed)
        #expect(machine.activeStates() == [.a])
        #expect(machine.tick(.b) == 4)
    }

    // MARK: X9

    @Test func testX9RequireOrderDecidesExitsAndEnters() throws {
        let machine = Fixture.machine(try Fixture.noRels([.a: StateSpec(require: [.c])]))
        machine.set([.a, .b, .c])
        let log = HandlerLog(machine)
        #expect(machine.remove([.c]) == .executed)
        #expect(machine.activeStates() == [.b])
        // D5: no pair handlers on a remove (Go also emits CB and AB after AExit).
        #expect(log.take() == seq("CExit AExit AnyEnter CEnd AEnd AnyState"))
        #expect(machine.add([.a, .c]) == .executed)
        #expect(machine.activeStates() == [.a, .b, .c])
        #expect(log.take() == seq("CEnter AEnter BB BC BA AnyEnter CState AState AnyState"))
    }

    // MARK: X10

    @Test func testX10SlowFinalHandler() throws {
        let machine = Machine(
            try Fixture.noRels(), id: "x10", configuration: Machine.Configuration(handlerTimeout: .milliseconds(50)))
        machine.onState(.a) { _ in usleep(200_000) }
        #expect(machine.add1(.a) == .canceled)
        // A is reverted (tick 2) and no Exception is added. D12: there is no ErrInternal
        // channel; the overrun is logged as a warning.
        #expect(machine.tick(.a) == 2)
        #expect(machine.activeStates() == [])
        #expect(!machine.isErr)
        #expect(machine.lastError == nil)
    }

    // MARK: X11

    @Test func testX11EndHandlerFailure() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let log = HandlerLog(machine)
        machine.onEnd(.a) { _ in throw TestFailure("AEnd failed") }
        #expect(machine.set([.b, .c]) == .canceled)
        // A failing End handler reverts nothing; Exception is added.
        #expect(machine.activeStates() == [.b, .c, .exception])
        #expect(machine.time([.a, .b, .c]) == [2, 1, 1])
        let names = log.take()
        // D13: the remaining final handlers still run (Go skips BState and CState).
        #expect(Array(names.prefix(9)) == seq("AExit BEnter CEnter AB AC AnyEnter AEnd BState CState"))
        #expect(containsInOrder(names, seq("CState ExceptionEnter ExceptionState")))
    }

    // MARK: X12

    @Test func testX12WhenQueueAfterCanceledMutation() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.onEnter(.d) { _ in false }
        let res = Box<MutationResult?>(nil)
        machine.onState(.a) { e in res.value = e.machine.add1(.d) }
        // add A runs at queue tick 2, the add D it queues at 3.
        let w = await XWaiting.start { try await machine.whenQueue(3, timeout: .seconds(5)) }
        #expect(w.done == nil)
        #expect(machine.add1(.a) == .executed)
        #expect(res.value == .queued(3))
        // D9: the waiter is released after the cancelled mutation, without any later
        // accepted transition (Go keeps it open).
        #expect(await w.value == "ok")
        #expect(machine.activeStates() == [.a])
    }

    // MARK: X13

    @Test func testX13InvalidSchemaIsRefused() throws {
        // D15: Go starts such a machine with Exception active, and a state requiring an
        // unknown state can never be added; Swift refuses both schemas.
        #expect(throws: SchemaError.conflictingRelations(state: .a, target: .b, .require, .remove)) {
            try Fixture.noRels([.a: StateSpec(require: [.b], remove: [.b])])
        }
        #expect(throws: SchemaError.unknownState(state: .a, relation: .require, target: "Ghost")) {
            try Fixture.noRels([.a: StateSpec(require: ["Ghost"])])
        }
    }

    // MARK: X14

    @Test func testX14RemoveInactiveInsideHandler() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let seen = Box<[String: MutationResult]>([:])
        let lengths = Box<[Int]>([])
        machine.onState(.a) { e in
            let m = e.machine
            // Queue empty, C inactive: executed at once, nothing queued.
            seen.update { $0["removeC"] = m.remove1(.c) }
            lengths.update { $0.append(m.queueLength) }
            // With something queued, the removal is queued behind it.
            seen.update { $0["addB"] = m.add1(.b) }
            seen.update { $0["removeC2"] = m.remove1(.c) }
            lengths.update { $0.append(m.queueLength) }
            // D19: from another thread during the drain, the removal is queued too.
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                let r = m.remove1(.d)
                seen.update { $0["removeDOther"] = r }
                done.signal()
            }
            _ = done.wait(timeout: .now() + 5)
        }
        #expect(machine.add1(.a) == .executed)
        #expect(seen.value["removeC"] == .executed)
        #expect(seen.value["addB"] == .queued(3))
        #expect(seen.value["removeC2"] == .queued(4))
        #expect(seen.value["removeDOther"] == .queued(5))
        #expect(lengths.value == [0, 2])
        #expect(machine.activeStates() == [.a, .b])

        // D19, with an empty queue: another thread removing an inactive state while a
        // transition runs is queued (Go returns Executed at once).
        let machine2 = Fixture.machine(try Fixture.noRels())
        let other = Box<MutationResult?>(nil)
        let length = Box(-1)
        machine2.onState(.a) { e in
            let m = e.machine
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                other.value = m.remove1(.c)
                done.signal()
            }
            _ = done.wait(timeout: .now() + 5)
            length.value = m.queueLength
        }
        #expect(machine2.add1(.a) == .executed)
        #expect(other.value == .queued(3))
        #expect(length.value == 1)
        #expect(machine2.activeStates() == [.a])
    }

    // MARK: X15

    @Test func testX15AutoTieIsDeterministic() throws {
        // D4: the earlier of two mutually removing Auto states always wins (Go: random).
        let bFirst = try Schema([
            .a: StateSpec(), .b: StateSpec(remove: [.c], auto: true), .c: StateSpec(remove: [.b], auto: true),
        ])
        let cFirst = try Schema([
            .a: StateSpec(), .c: StateSpec(remove: [.b], auto: true), .b: StateSpec(remove: [.c], auto: true),
        ])
        for _ in 0..<40 {
            let m1 = Fixture.machine(bFirst)
            #expect(m1.add1(.a) == .executed)
            #expect(m1.activeStates() == [.a, .b])
            let m2 = Fixture.machine(cFirst)
            #expect(m2.add1(.a) == .executed)
            #expect(m2.activeStates() == [.a, .c])
        }
    }
}
