import AsyncMachine
import Synchronization
import Testing

/// What handlers saw: name, isCheck and the "id" arg.
fileprivate final class Sightings: Sendable {
    struct Seen: Equatable {
        var name: String
        var isCheck: Bool
        var id: ArgValue?
    }

    private let list = Mutex<[Seen]>([])
    func record(_ e: Event) { list.withLock { $0.append(Seen(name: e.name, isCheck: e.isCheck, id: e.args["id"])) } }
    func take() -> [Seen] {
        list.withLock { l in
            defer { l = [] }
            return l
        }
    }
}

/// Results of mutations called from inside handlers.
fileprivate final class Results: Sendable {
    private let list = Mutex<[String: MutationResult]>([:])
    func set(_ key: String, _ value: MutationResult) { list.withLock { $0[key] = value } }
    subscript(key: String) -> MutationResult? { list.withLock { $0[key] } }
}

extension StateName {
    fileprivate static let zeta: StateName = "Zeta"
    fileprivate static let alpha: StateName = "Alpha"
    fileprivate static let mid: StateName = "Mid"
    fileprivate static let unknown: StateName = "Unknown"
}

/// Pinning tests for the deliberate differences of docs/semantics.md: D1, D5, D7, D11,
/// D12, D13, D14, D15, D16, D21 (those not already pinned by a conformance test).
@Suite struct DifferencesATests {
    // MARK: D1

    @Test func testStateOrderIsDeclarationOrder() throws {
        let machine = Fixture.machine(try Schema([.zeta: StateSpec(), .alpha: StateSpec(), .mid: StateSpec()]))
        // Go would sort: Alpha Exception Mid Zeta.
        #expect(machine.stateNames == [.zeta, .alpha, .mid, .exception])
        #expect(machine.schema.names == [.zeta, .alpha, .mid, .exception])
        #expect(machine.index(of: .zeta) == 0)
        #expect(machine.index(of: .exception) == 3)
        #expect(machine.set([.mid, .zeta]) == .executed)
        #expect(machine.activeStates() == [.zeta, .mid])
        #expect(machine.time() == [1, 0, 1, 0])
        #expect(machine.description == "(Zeta:1 Mid:1)")

        // A declared Exception keeps its position.
        let declared = Fixture.machine(try Schema([.mid: StateSpec(), .exception: StateSpec(), .alpha: StateSpec()]))
        #expect(declared.stateNames == [.mid, .exception, .alpha])
        // Stable: the same schema gives the same order every time.
        let again = Fixture.machine(try Schema([.zeta: StateSpec(), .alpha: StateSpec(), .mid: StateSpec()]))
        #expect(again.stateNames == machine.stateNames)
    }

    // MARK: D5

    @Test func testPairHandlersOnlyForEnteringStates() throws {
        let machine = Fixture.machine(try Fixture.noRels([.b: StateSpec(multi: true)]))
        machine.set([.a, .b])
        let log = HandlerLog(machine)

        // Only pairs towards the entering C; none towards A or B, which stay active
        // (Go: also AB and BA).
        #expect(machine.add([.c]) == .executed)
        #expect(log.take() == seq("CEnter AA BB AC BC AnyEnter CState AnyState"))

        // No pair (or self) handlers on remove (Go: AC BA BC CA ... for every pair).
        #expect(machine.remove([.b]) == .executed)
        #expect(log.take() == seq("BExit AnyEnter BEnd AnyState"))

        // A Multi re-entry counts as entering: A -> B runs, C -> A does not.
        machine.add([.b])
        _ = log.take()
        #expect(machine.add([.b]) == .executed)
        #expect(log.take() == seq("BEnter BB AA CC AB CB AnyEnter BState AnyState"))
        #expect(machine.tick(.b) == 5)
    }

    // MARK: D7

    @Test func testHandlerOrderIsStateOrder() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        // Go would store the active list as [C B], the order of this call.
        machine.set([.c, .b])
        #expect(machine.activeStates() == [.b, .c])
        let log = HandlerLog(machine)

        // Self and pair handlers of the active states follow the state order.
        #expect(machine.add([.d]) == .executed)
        #expect(log.take() == seq("DEnter BB CC BD CD AnyEnter DState AnyState"))
        #expect(machine.activeStates() == [.b, .c, .d])

        let other = Fixture.machine(try Fixture.noRels())
        other.set([.c, .b])
        let otherLog = HandlerLog(other)
        // Exits in state order too (Go: CExit BExit ... CA BA).
        #expect(other.set([.a]) == .executed)
        #expect(otherLog.take() == seq("BExit CExit AEnter BA CA AnyEnter BEnd CEnd AState AnyState"))
    }

    // MARK: D11

    @Test func testThrowingExceptionHandlerDoesNotWedge() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        let calls = Mutex(0)
        machine.onState(.exception) { e in
            calls.withLock { $0 += 1 }
            // Queued from the failing handler: must still run afterwards.
            e.machine.add1(.b)
            throw TestFailure("exception handler failed")
        }
        let aStates = Mutex(0)
        machine.onState(.a) { _ in aStates.withLock { $0 += 1 } }

        #expect(machine.addErr(TestFailure("first")) == .canceled)
        // Not re-raised as another Exception: no loop.
        #expect(calls.withLock { $0 } == 1)
        #expect(!machine.isErr)
        // The mutation queued by the failing handler ran.
        #expect(machine.activeStates() == [.b])
        // Later handler calls are not blocked.
        #expect(machine.add1(.a) == .executed)
        #expect(aStates.withLock { $0 } == 1)
        #expect(machine.activeStates() == [.a, .b])
        #expect(machine.queueLength == 0)
        #expect(!machine.isBusy)
    }

    // MARK: D13

    @Test func testX11EndHandlerFailure() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .c])
        let log = HandlerLog(machine)
        machine.onEnd(.a) { _ in throw TestFailure("AEnd failed") }

        #expect(machine.set([.b]) == .canceled)
        let names = log.take()
        // The exit happened and nothing is reverted; the remaining final handlers
        // (CEnd, BState) still run (Go stops the final phase after AEnd).
        #expect(Array(names.prefix(8)) == seq("AExit CExit BEnter AB CB AnyEnter AEnd CEnd"))
        #expect(names.contains("BState"))
        #expect(containsInOrder(names, seq("CEnd BState ExceptionEnter ExceptionState")))
        #expect(machine.activeStates() == [.b, .exception])
        #expect(machine.time([.a, .b, .c]) == [2, 1, 2])
        #expect((machine.lastError as? TestFailure)?.description == "AEnd failed")
    }

    // MARK: D14

    @Test func testUnknownStateIsAnErrorResult() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let queueTick = machine.queueTick
        let failed = MutationResult.failed(.unknownState(.unknown))

        #expect(machine.add([.unknown]) == failed)
        #expect(machine.add([.b, .unknown]) == failed)
        #expect(machine.add1(.unknown) == failed)
        #expect(machine.remove([.unknown]) == failed)
        #expect(machine.remove1(.unknown) == failed)
        #expect(machine.set([.unknown]) == failed)
        #expect(machine.toggle([.unknown]) == failed)
        #expect(machine.canAdd([.unknown]) == failed)
        #expect(machine.addErrState(.unknown, TestFailure()) == failed)
        // Nothing changed, nothing was queued.
        #expect(machine.activeStates() == [.a])
        #expect(machine.time() == [1, 0, 0, 0, 0])
        #expect(machine.queueTick == queueTick)

        #expect(!machine.is([.unknown]))
        #expect(!machine.is([.a, .unknown]))
        #expect(machine.not([.unknown]))
        #expect(!machine.not([.a, .unknown]))
        #expect(machine.tick(.unknown) == 0)
        #expect(!machine.has1(.unknown))

        await #expect(throws: MachineError.unknownState(.unknown)) {
            try await machine.when([.unknown], timeout: .seconds(5))
        }
        await #expect(throws: MachineError.unknownState(.unknown)) {
            try await machine.whenNot([.unknown], timeout: .seconds(5))
        }

        // Inside a handler too.
        let results = Results()
        machine.onState(.b) { e in results.set("add", e.machine.add1(.unknown)) }
        #expect(machine.add1(.b) == .executed)
        #expect(results["add"] == failed)
        #expect(machine.activeStates() == [.a, .b])
    }

    // MARK: D15

    @Test func testSchemaValidation() throws {
        #expect(throws: SchemaError.unknownState(state: .a, relation: .require, target: .unknown)) {
            try Schema([.a: StateSpec(require: [.unknown])])
        }
        #expect(throws: SchemaError.unknownState(state: .a, relation: .add, target: .unknown)) {
            try Schema([.a: StateSpec(add: [.unknown])])
        }
        #expect(throws: SchemaError.unknownState(state: .a, relation: .remove, target: .unknown)) {
            try Schema([.a: StateSpec(remove: [.unknown])])
        }
        #expect(throws: SchemaError.unknownState(state: .a, relation: .after, target: .unknown)) {
            try Schema([.a: StateSpec(after: [.unknown])])
        }
        #expect(throws: SchemaError.duplicateState(.a)) {
            try Schema(pairs: [(.a, StateSpec()), (.b, StateSpec()), (.a, StateSpec())])
        }
        #expect(throws: SchemaError.selfReference(state: .a, relation: .remove)) {
            try Schema([.a: StateSpec(remove: [.a])])
        }
        #expect(throws: SchemaError.selfReference(state: .a, relation: .require)) {
            try Schema([.a: StateSpec(require: [.a])])
        }
        #expect(throws: SchemaError.selfReference(state: .a, relation: .after)) {
            try Schema([.a: StateSpec(after: [.a])])
        }
        #expect(throws: SchemaError.duplicateRelation(state: .a, relation: .add, target: .b)) {
            try Schema([.a: StateSpec(add: [.b, .b]), .b: StateSpec()])
        }
        #expect(throws: SchemaError.conflictingRelations(state: .a, target: .b, .require, .remove)) {
            try Schema([.a: StateSpec(require: [.b], remove: [.b]), .b: StateSpec()])
        }
        #expect(throws: SchemaError.conflictingRelations(state: .a, target: .b, .add, .remove)) {
            try Schema([.a: StateSpec(add: [.b], remove: [.b]), .b: StateSpec()])
        }
        let tooMany = (0..<Schema.maximumStateCount).map { (StateName("S\($0)"), StateSpec()) }
        #expect(throws: SchemaError.tooManyStates(Schema.maximumStateCount + 1)) {
            try Schema(pairs: tooMany)
        }
        // At the limit with Exception included: accepted.
        let atLimit = try Schema(pairs: Array(tooMany.dropLast()))
        #expect(atLimit.count == Schema.maximumStateCount)

        // Exception is always Multi, even when declared without it.
        let declared = try Schema([.a: StateSpec(), .exception: StateSpec()])
        #expect(declared[.exception]?.multi == true)
        #expect(try Schema([.a: StateSpec()])[.exception]?.multi == true)
        // A valid schema with every relation builds.
        let valid = try Schema([
            .a: StateSpec(require: [.b], add: [.c], remove: [.d], after: [.b]), .b: StateSpec(), .c: StateSpec(),
            .d: StateSpec(),
        ])
        #expect(valid.names == [.a, .b, .c, .d, .exception])
    }

    // MARK: D16

    @Test func testCheckFlagInHandlers() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let seen = Sightings()
        for s: StateName in [.a, .b] {
            machine.onEnter(s) { e in
                seen.record(e)
                return true
            }
            machine.onExit(s) { e in
                seen.record(e)
                return true
            }
            machine.onState(s) { e in seen.record(e) }
            machine.onEnd(s) { e in seen.record(e) }
        }

        // A dry run: negotiation handlers see isCheck and the args; nothing changes.
        #expect(machine.canAdd([.b], ["id": 1]) == .executed)
        #expect(seen.take() == [.init(name: "BEnter", isCheck: true, id: 1)])
        #expect(machine.activeStates() == [.a])
        #expect(machine.tick(.b) == 0)

        // canRemove1 passes its args (Go drops them).
        #expect(machine.canRemove1(.a, ["id": 2]) == .executed)
        #expect(seen.take() == [.init(name: "AExit", isCheck: true, id: 2)])
        #expect(machine.activeStates() == [.a])

        // The real mutation: isCheck false.
        #expect(machine.add([.b], ["id": 3]) == .executed)
        #expect(
            seen.take() == [.init(name: "BEnter", isCheck: false, id: 3), .init(name: "BState", isCheck: false, id: 3)])

        // From inside a handler, a dry run runs at once against the current state.
        let other = Fixture.machine(try Fixture.noRels([.d: StateSpec(require: [.a])]))
        let results = Results()
        other.onEnter(.c) { e in
            #expect(e.isCheck == (e.args["check"] == true))
            return e.args["veto"] != true
        }
        other.onState(.a) { e in
            results.set("c", e.machine.canAdd1(.c, ["check": true]))
            results.set("cVeto", e.machine.canAdd1(.c, ["check": true, "veto": true]))
            // A is already active inside its State handler.
            results.set("d", e.machine.canAdd1(.d))
        }
        #expect(other.add1(.a) == .executed)
        #expect(results["c"] == .executed)
        #expect(results["cVeto"] == .canceled)
        #expect(results["d"] == .executed)
        #expect(other.activeStates() == [.a])
    }
}
