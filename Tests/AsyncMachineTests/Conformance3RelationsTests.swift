import AsyncMachine
import Synchronization
import Testing

/// Keeps every finished transition, with its relation steps.
fileprivate final class StepRecorder: Tracer {
    private let list = Mutex<[Transition]>([])
    var wantsSteps: Bool { true }
    func transitionEnd(_ transition: Transition) { list.withLock { $0.append(transition) } }
    var last: Transition? { list.withLock { $0.last } }
    var all: [Transition] { list.withLock { $0 } }
}

extension StateName {
    fileprivate static let z: StateName = "Z"
    fileprivate static let wet: StateName = "Wet"
    fileprivate static let dry: StateName = "Dry"
    fileprivate static let water: StateName = "Water"
}

/// machine-semantics.md §9.3, cases 15-24: relations.
@Suite struct Conformance3RelationsTests {
    private func index(_ machine: Machine, _ state: StateName) throws -> Int {
        try #require(machine.index(of: state))
    }

    // MARK: Case 15

    @Test func testRemoveRelation() throws {
        let machine = Fixture.machine(try Fixture.noRels([.c: StateSpec(remove: [.d])]))
        machine.set([.d])
        let log = HandlerLog(machine)
        #expect(machine.add([.c]) == .executed)
        #expect(machine.activeStates() == [.c])
        #expect(log.take() == seq("DExit CEnter DC AnyEnter DEnd CState AnyState"))
    }

    // MARK: Case 16

    @Test func testRemoveRelationSimultaneous() throws {
        let machine = Fixture.machine(try Fixture.noRels([.c: StateSpec(remove: [.d])]))
        machine.set([.d])
        let log = HandlerLog(machine)
        let recorder = StepRecorder()
        machine.attach(recorder)
        #expect(machine.set([.c, .d]) == .canceled)
        #expect(machine.activeStates() == [.d])
        #expect(machine.tick(.d) == 1)
        #expect(machine.tick(.c) == 0)
        // Rejected by relations: no handler runs, not even AnyEnter.
        #expect(log.take() == [])
        // Go logs `[rel:remove] D by C` and `[cancel:reject] D` (log text is not ported):
        // the closest observable is the transition's steps.
        let tx = try #require(recorder.last)
        let c = try index(machine, .c), d = try index(machine, .d)
        #expect(tx.steps.contains(Step(kind: .relation, from: c, to: d, relation: .remove)))
        #expect(tx.steps.contains(Step(kind: .cancel, to: d)))
        #expect(tx.result == .canceled)
    }

    // MARK: Case 17

    @Test func testRemoveRelationCrossBlocking() throws {
        let schema = try Fixture.noRels([.c: StateSpec(remove: [.d]), .d: StateSpec(remove: [.c])])
        // (a) Set(C)
        do {
            let machine = Fixture.machine(schema)
            machine.set([.d])
            #expect(machine.set([.c]) == .executed)
            #expect(machine.activeStates() == [.c])
        }
        // (b) Set(C), then Set(D)
        do {
            let machine = Fixture.machine(schema)
            machine.set([.d])
            #expect(machine.set([.c]) == .executed)
            #expect(machine.set([.d]) == .executed)
            #expect(machine.activeStates() == [.d])
        }
        // (c) Add(C): the called state wins the mutual exclusion.
        do {
            let machine = Fixture.machine(schema)
            machine.set([.d])
            #expect(machine.add([.c]) == .executed)
            #expect(machine.activeStates() == [.c])
        }
        // (d) Add(C), then Add(D)
        do {
            let machine = Fixture.machine(schema)
            machine.set([.d])
            #expect(machine.add([.c]) == .executed)
            #expect(machine.add([.d]) == .executed)
            #expect(machine.activeStates() == [.d])
            #expect(machine.time([.c, .d]) == [2, 3])
        }
    }

    // MARK: Case 18

    @Test func testAddRelation() throws {
        let machine = Fixture.machine(try Fixture.noRels([.a: StateSpec(remove: [.d]), .c: StateSpec(add: [.d])]))
        let recorder = StepRecorder()
        machine.attach(recorder)
        #expect(machine.set([.c]) == .executed)
        #expect(machine.activeStates() == [.c, .d])
        // Go logs `[implied] D`; here the step "C add D".
        let tx = try #require(recorder.last)
        let c = try index(machine, .c), d = try index(machine, .d)
        #expect(tx.steps.contains(Step(kind: .relation, from: c, to: d, relation: .add)))

        // D is implied by C but blocked by A; the mutation still succeeds.
        #expect(machine.set([.a, .c]) == .executed)
        #expect(machine.activeStates() == [.a, .c])
    }

    // MARK: Case 19

    @Test func testRequireRelation() throws {
        let machine = Fixture.machine(try Fixture.noRels([.c: StateSpec(require: [.d])]))
        machine.set([.a])
        #expect(machine.set([.c, .d]) == .executed)
        #expect(machine.activeStates() == [.c, .d])
    }

    @Test func testRequireRelationWhenRequiredIsntActive() throws {
        let machine = Fixture.machine(try Fixture.noRels([.c: StateSpec(require: [.d])]))
        machine.set([.a])
        let recorder = StepRecorder()
        machine.attach(recorder)
        #expect(machine.set([.c, .a]) == .canceled)
        #expect(machine.activeStates() == [.a])
        #expect(machine.tick(.c) == 0)
        // Go logs `[reject] C(-D)`; here the steps "C require D" and C dropped.
        let tx = try #require(recorder.last)
        let c = try index(machine, .c), d = try index(machine, .d)
        #expect(tx.steps.contains(Step(kind: .relation, from: c, to: d, relation: .require)))
        #expect(tx.steps.contains(Step(kind: .deactivatePassive, to: c)))
    }

    // MARK: Case 20

    @Test func testRemoveMultiImplied() throws {
        let machine = Fixture.machine(
            try Fixture.noRels([
                .a: StateSpec(require: [.c], add: [.b], multi: true),
                .b: StateSpec(require: [.c]),
            ]))
        machine.set([.a, .b, .c])
        #expect(machine.activeStates() == [.a, .b, .c])
        let log = HandlerLog(machine)
        #expect(machine.remove1(.b) == .executed)
        // A's Add of B is ignored, because B is being removed.
        #expect(machine.activeStates() == [.a, .c])
        // D5: no self or pair handlers on remove (Go: BExit AC BA BC CA AnyEnter BEnd AnyState).
        #expect(log.take() == seq("BExit AnyEnter BEnd AnyState"))
        #expect(machine.time([.a, .b, .c]) == [1, 2, 1])
    }

    // MARK: Case 21

    @Test func testRegressionRemoveCrossBlockedByImplied() throws {
        let machine = Fixture.machine(
            try Schema([
                .a: StateSpec(remove: [.b]),
                .b: StateSpec(remove: [.a]),
                .z: StateSpec(add: [.b]),
            ]))
        #expect(machine.set([.z]) == .executed)
        #expect(machine.activeStates() == [.b, .z])
    }

    @Test func testRegressionImpliedBlockByBeingRemoved() throws {
        let machine = Fixture.machine(
            try Schema([
                .wet: StateSpec(require: [.water]),
                .dry: StateSpec(remove: [.wet]),
                .water: StateSpec(add: [.wet], remove: [.dry]),
            ]))
        #expect(machine.set([.dry]) == .executed)
        #expect(machine.set([.water]) == .executed)
        #expect(machine.activeStates() == [.wet, .water])
        #expect(machine.not1(.dry))
    }

    // MARK: Case 22

    /// The lines of one state's block in `inspect()`.
    private func inspectBlock(_ dump: String, _ state: StateName) -> [String] {
        var block: [String] = []
        var inside = false
        for line in dump.split(separator: "\n").map(String.init) {
            if !line.hasPrefix(" ") {
                inside = line.split(separator: " ").last.map(String.init) == state.rawValue
                if inside { block.append(line) }
            } else if inside {
                block.append(String(line.drop { $0 == " " }))
            }
        }
        return block
    }

    @Test func testInspect() throws {
        let machine = Fixture.machine(try Fixture.rels())
        #expect(machine.set([.a, .c]) == .executed)
        #expect(machine.description == "(A:1 C:1)")
        let dump = machine.inspect()
        let a = inspectBlock(dump, .a)
        #expect(a.first == "1 A")
        #expect(a.contains { $0.hasPrefix("|Auto") })
        #expect(a.contains { $0.hasPrefix("|Require") && $0.hasSuffix(" C") })
        #expect(a.contains { $0.hasPrefix("|Tick") && $0.hasSuffix(" 1") })
        let b = inspectBlock(dump, .b)
        #expect(b.first == "0 B")
        #expect(b.contains { $0.hasPrefix("|Multi") })
        #expect(b.contains { $0.hasPrefix("|Add") && $0.hasSuffix(" C") })
        #expect(!b.contains { $0.hasPrefix("|Auto") })

        // Remove(C) also removes A, which requires C; the auto transition rejects A.
        machine.remove([.c])
        #expect(machine.time([.a, .c]) == [2, 2])
        #expect(machine.activeStates() == [])

        // Add(B): B Adds C, then auto A.
        machine.add([.b])
        #expect(machine.time([.a, .b, .c, .d]) == [3, 1, 3, 0])

        // Add(D): no other tick changes (B is active and not called).
        machine.add([.d])
        #expect(machine.time([.a, .b, .c, .d]) == [3, 1, 3, 1])
        #expect(machine.description == "(A:3 B:1 C:3 D:1)")

        // Go's VerifyStates([Exception A B C D]) has no Swift counterpart (D1: the
        // declaration order is the state order): declare the states in that order instead.
        let reordered = Fixture.machine(
            try Schema([
                .exception: StateSpec(multi: true),
                .a: StateSpec(require: [.c], auto: true),
                .b: StateSpec(add: [.c], multi: true),
                .c: StateSpec(after: [.d]),
                .d: StateSpec(add: [.c, .b]),
            ]))
        let heads = reordered.inspect().split(separator: "\n").filter { !$0.hasPrefix(" ") }
        #expect(heads == ["0 Exception", "0 A", "0 B", "0 C", "0 D"])
    }

    // MARK: Case 23

    @Test func testSetStates() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .c])
        let before = machine.schema
        // Go's SetSchema(schema, names): the grown schema keeps the current states at
        // their indexes, the new state E follows. SchemaVer() (the state count) and the
        // fingerprint change.
        let grown = try Schema([
            .a: StateSpec(multi: true),
            .b: StateSpec(remove: [.c]),
            .c: StateSpec(),
            .d: StateSpec(add: [.e]),
            .exception: StateSpec(multi: true),
            .e: StateSpec(),
        ])
        try machine.setSchema(grown)
        #expect(machine.stateNames.count == before.count + 1)
        #expect(machine.stateNames == [.a, .b, .c, .d, .exception, .e])
        #expect(machine.schema.fingerprint != before.fingerprint)
        #expect(machine.schema == grown)
        #expect(machine.activeStates() == [.a, .c])

        #expect(machine.set([.a, .b, .d]) == .executed)
        #expect(machine.activeStates() == [.a, .b, .d, .e])
    }

    // MARK: Case 24

    @Test func testGetRelationsBetween() throws {
        let schema = try Fixture.noRels([.a: StateSpec(add: [.b, .c], after: [.b])])
        let a = try #require(schema[.a])
        // The order is always add, require, remove, after.
        #expect(a.relations(to: .b) == [.add, .after])
        #expect(a.relations(to: .c) == [.add])
        #expect(a.relations(to: .d) == [])
    }

    @Test func testGetStateRelations() throws {
        let schema = try Fixture.noRels([.a: StateSpec(require: [.b], add: [.b])])
        let a = try #require(schema[.a])
        // Go's RelationsOf(A) has no direct counterpart: the relation kinds towards B.
        #expect(a.relations(to: .b) == [.add, .require])
        #expect(try #require(schema[.b]).relations(to: .a) == [])
    }

    @Test func testGetRelationsBetweenStates() throws {
        let machine = Fixture.machine(try Fixture.noRels([.a: StateSpec(require: [.c], add: [.b])]))
        #expect(try #require(machine.schema[.a]).relations(to: .c) == [.require])
        // Go returns an error for an unknown state; here the schema has no such state.
        #expect(machine.schema["Unknown"] == nil)
        #expect(!machine.has1("Unknown"))
    }
}
