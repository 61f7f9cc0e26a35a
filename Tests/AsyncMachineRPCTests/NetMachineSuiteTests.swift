import AsyncMachine
import AsyncMachineRPC
import Foundation
import Synchronization
import Testing

// The machine test suite of asyncmachine-go run against the aRPC mirror: a port of every
// row of `pkg/rpc/netmach_test.go` (rpc-node.md §4.3). Mutations go through the network
// (`pair.net`, run on the remote source); every assertion reads the local mirror
// (`pair.net.mirror`), often compared with the source. Where Go and docs/semantics.md
// differ, the test asserts our semantics and names the difference (Dn).
//
// Go compares active states as sets; ours are always in state order (D7), so the exact
// arrays below are in declaration order. Go's `assertTime` is a subset check; these
// compare exact vectors (rpc-node.md §4).

/// State names of the custom schemas of the regression tests.
private enum Names {
    static let z: StateName = "Z"
    static let wet: StateName = "Wet"
    static let dry: StateName = "Dry"
    static let water: StateName = "Water"
}

/// A flag set from another task or thread.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}

/// A wait running in its own task, with a flag that tells whether it has returned.
private struct Probe {
    let returned: Flag
    let task: Task<Void, any Error>

    init(_ wait: @escaping @Sendable () async throws -> Void) {
        let returned = Flag()
        self.returned = returned
        task = Task {
            try await wait()
            returned.set()
        }
    }
}

@Suite struct NetMachineSuiteTests {
    // MARK: Harness

    /// Like `RPCPair.make`, but the source gets `active` (and `setup`) BEFORE the server
    /// starts, as Go's `NewNoRelsNetSrc(t, S{...})` does: the mirror must show it from the
    /// Welcome on, without waiting.
    private func makePair(
        _ schema: Schema, active: [StateName] = [], setup: ((Machine) -> Void)? = nil
    ) async throws -> RPCPair {
        let source = Machine(schema, id: "src", configuration: .init(handlerTimeout: nil))
        if !active.isEmpty { #expect(source.add(active) == .executed) }
        setup?(source)
        let server = RPCServer(source: source)
        try await server.start()
        let port = try #require(server.port)
        let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "rc-test"))
        let net = try await client.connect()
        let pair = RPCPair(source: source, server: server, client: client, net: net)
        #expect(net.mirror.time() == source.time(), "the mirror starts in sync")
        return pair
    }

    /// Runs `body` on a fresh pair, then Go's `disposeTest(..., checkErrs: true)`: no error
    /// ever happened (Exception tick 0) on the source, the mirror, the client and the
    /// server; the pair is closed even when `body` throws.
    private func withPair(
        _ schema: Schema, active: [StateName] = [], setup: ((Machine) -> Void)? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (RPCPair) async throws -> Void
    ) async throws {
        let pair = try await makePair(schema, active: active, setup: setup)
        do {
            try await body(pair)
        } catch {
            await pair.close()
            throw error
        }
        #expect(pair.source.tick(.exception) == 0, "no error ever on the source", sourceLocation: sourceLocation)
        #expect(pair.net.mirror.tick(.exception) == 0, "no error ever on the mirror", sourceLocation: sourceLocation)
        #expect(!pair.source.isErr && !pair.net.mirror.isErr, sourceLocation: sourceLocation)
        #expect(!pair.client.machine.isErr, "no error on the RPC client", sourceLocation: sourceLocation)
        #expect(!pair.server.machine.isErr, "no error on the RPC server", sourceLocation: sourceLocation)
        await pair.close()
    }

    /// The mirror shows exactly `states` (in state order) and agrees with the source.
    private func expectStates(
        _ pair: RPCPair, _ states: [StateName], _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(pair.net.mirror.activeStates() == states, comment, sourceLocation: sourceLocation)
        #expect(pair.net.mirror.time() == pair.source.time(), "mirror and source clocks", sourceLocation: sourceLocation)
    }

    /// `#expect(result == expected)`: `#expect(try await ...)` does not compile inside a closure.
    private func expectResult(
        _ expected: MutationResult, _ result: MutationResult,
        comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result == expected, comment, sourceLocation: sourceLocation)
    }

    private func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    private static let abcd: [StateName] = [.a, .b, .c, .d]

    // MARK: Active states

    @Test func testSingleStateActive() async throws {
        try await withPair(try RPCFixture.noRels()) { pair in
            try await expectResult(.executed, pair.net.add1(.a))
            expectStates(pair, [.a])
        }
    }

    @Test func testMultipleStatesActive() async throws {
        try await withPair(try RPCFixture.noRels()) { pair in
            try await pair.net.add([.a])
            try await pair.net.add([.b])
            expectStates(pair, [.a, .b])
        }
    }

    @Test func testExposeAllStateNames() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a]) { pair in
            // Go: a subset check. D1: the order is the declaration order, Exception
            // appended, identical on both sides.
            #expect(pair.net.mirror.stateNames == [.a, .b, .c, .d, .exception])
            #expect(pair.net.mirror.stateNames == pair.source.stateNames)
        }
    }

    @Test func testStateSet() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a]) { pair in
            try await expectResult(.executed, pair.net.set([.b]))
            expectStates(pair, [.b])
        }
    }

    @Test func testStateAdd() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a]) { pair in
            try await expectResult(.executed, pair.net.add([.b]))
            expectStates(pair, [.a, .b])
        }
    }

    @Test func testStateRemove() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.b, .c]) { pair in
            try await expectResult(.executed, pair.net.remove([.c]))
            expectStates(pair, [.b])
        }
    }

    // MARK: Relations

    private static func removeSchema(crossBlocking: Bool) throws -> Schema {
        try Schema([
            .a: StateSpec(),
            .b: StateSpec(),
            .c: StateSpec(remove: [.d]),
            .d: StateSpec(remove: crossBlocking ? [.c] : []),
        ])
    }

    @Test func testRemoveRelation() async throws {
        try await withPair(try Self.removeSchema(crossBlocking: false), active: [.d]) { pair in
            // C deactivates D.
            try await expectResult(.executed, pair.net.add([.c]))
            expectStates(pair, [.c])
        }
    }

    @Test func testRemoveRelationSimultaneous() async throws {
        try await withPair(try Self.removeSchema(crossBlocking: false), active: [.d]) { pair in
            let result = try await pair.net.set([.c, .d])
            #expect(result == .canceled, "C removes D, a called state: the set cannot happen")
            expectStates(pair, [.d])
        }
    }

    enum CrossBlocking: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case setDeactivatesTheOldOne = "using Set should de-activate the old one"
        case setWorksBothWays = "using Set should work both ways"
        case addDeactivatesTheOldOne = "using Add should de-activate the old one"
        case addWorksBothWays = "using Add should work both ways"
        var testDescription: String { rawValue }
    }

    @Test(arguments: CrossBlocking.allCases)
    func testRemoveRelationCrossBlocking(_ subtest: CrossBlocking) async throws {
        try await withPair(try Self.removeSchema(crossBlocking: true), active: [.d]) { pair in
            // (D:1) [A:0 B:0 C:0]
            switch subtest {
            case .setDeactivatesTheOldOne:
                try await expectResult(.executed, pair.net.set([.c]))
                expectStates(pair, [.c])
            case .setWorksBothWays:
                try await expectResult(.executed, pair.net.set([.c]))
                expectStates(pair, [.c])
                try await expectResult(.executed, pair.net.set([.d]))
                expectStates(pair, [.d])
            case .addDeactivatesTheOldOne:
                // The called state wins the mutual removal over the active one.
                try await expectResult(.executed, pair.net.add([.c]))
                expectStates(pair, [.c])
            case .addWorksBothWays:
                try await expectResult(.executed, pair.net.add([.c]))
                expectStates(pair, [.c])
                try await expectResult(.executed, pair.net.add([.d]))
                expectStates(pair, [.d])
            }
        }
    }

    @Test func testAddRelation() async throws {
        let schema = try Schema([
            .a: StateSpec(remove: [.d]),
            .b: StateSpec(),
            .c: StateSpec(add: [.d]),
            .d: StateSpec(),
        ])
        try await withPair(schema) { pair in
            try await expectResult(.executed, pair.net.set([.c]))
            expectStates(pair, [.c, .d], "state should be activated")
            try await expectResult(.executed, pair.net.set([.a, .c]))
            expectStates(pair, [.a, .c], "state D should be skipped if blocked at the same time")
        }
    }

    @Test func testRequireRelation() async throws {
        let schema = try Schema([
            .a: StateSpec(require: [.d]),
            .b: StateSpec(),
            .c: StateSpec(),
            .d: StateSpec(),
        ])
        try await withPair(schema) { pair in
            try await expectResult(.executed, pair.net.set([.c, .d]))
            expectStates(pair, [.c, .d])
        }
    }

    @Test func testRequireRelationWhenRequiredIsntActive() async throws {
        let schema = try Schema([
            .a: StateSpec(),
            .b: StateSpec(),
            .c: StateSpec(require: [.d]),
            .d: StateSpec(),
        ])
        try await withPair(schema, active: [.a]) { pair in
            // Go checks only the states. Ours (semantics.md, Resolution): a set is
            // cancelled unless every called state is in the targets; C lacks D.
            try await expectResult(.canceled, pair.net.set([.c, .a]))
            expectStates(pair, [.a], "target state shouldnt be activated")
        }
    }

    @Test func testAutoStates() async throws {
        let schema = try Schema([
            .a: StateSpec(),
            .b: StateSpec(require: [.a], auto: true),
            .c: StateSpec(require: [.d]),
            .d: StateSpec(),
        ])
        try await withPair(schema) { pair in
            try await expectResult(.executed, pair.net.add([.a]), comment: "transition should be executed")
            // The auto transition ran within the forwarded call: the reply carried it.
            expectStates(pair, [.a, .b], "dependant auto state should be set")
        }
    }

    @Test func testSwitch() async throws {
        let schema = try Schema([
            .a: StateSpec(),
            .b: StateSpec(),
            .c: StateSpec(require: [.d]),
            .d: StateSpec(),
        ])
        // There is no `switch` API: Go's `Switch(states)` returns the first active state
        // of the list, or "". The same check with `any1` / `is1` on the mirror.
        func switchOf(_ machine: Machine, _ states: StateName...) -> StateName? {
            guard machine.any1(states[0], states[1]) else { return nil }
            return states.first { machine.is1($0) }
        }
        try await withPair(schema, active: [.a]) { pair in
            let mirror = pair.net.mirror
            #expect(switchOf(mirror, .a, .b) == .a)
            #expect(mirror.any1(.a, .b) && mirror.is1(.a))
            #expect(switchOf(mirror, .c, .b) == nil, "the default case")
            #expect(!mirror.any1(.c, .b))
        }
    }

    @Test func testRegressionRemoveCrossBlockedByImplied() async throws {
        let schema = try Schema([
            .a: StateSpec(remove: [.b]),
            .b: StateSpec(remove: [.a]),
            Names.z: StateSpec(add: [.b]),
        ])
        try await withPair(schema) { pair in
            try await expectResult(.executed, pair.net.set([Names.z]))
            // Go: {Z, B} as a set; D7: state order.
            expectStates(pair, [.b, Names.z])
        }
    }

    @Test func testRegressionImpliedBlockByBeingRemoved() async throws {
        let schema = try Schema([
            Names.wet: StateSpec(require: [Names.water]),
            Names.dry: StateSpec(remove: [Names.wet]),
            Names.water: StateSpec(add: [Names.wet], remove: [Names.dry]),
        ])
        try await withPair(schema) { pair in
            try await expectResult(.executed, pair.net.set([Names.dry]))
            expectStates(pair, [Names.dry])
            try await expectResult(.executed, pair.net.set([Names.water]))
            // Go: {Water, Wet} as a set; D7: state order.
            expectStates(pair, [Names.wet, Names.water])
        }
    }

    // MARK: Waits

    @Test func testWhen2() async throws {
        try await withPair(try RPCFixture.noRels()) { pair in
            let mirror = pair.net.mirror
            let first = Probe { try await mirror.when([.a, .b], timeout: .seconds(5)) }
            let second = Probe { try await mirror.when([.a, .b], timeout: .seconds(5)) }
            try await Task.sleep(for: .milliseconds(20))
            #expect(!first.returned.isSet && !second.returned.isSet, "nothing to wait for yet")
            try await pair.net.add([.a, .b])
            try await first.task.value
            try await second.task.value
            expectStates(pair, [.a, .b])
        }
    }

    @Test func testWhenActive() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a]) { pair in
            // Level-triggered: the state is already active, so the wait returns with nothing
            // changing (an edge-triggered wait would run into its timeout and throw).
            try await pair.net.mirror.when([.a], timeout: .seconds(5))
            expectStates(pair, [.a])
        }
    }

    @Test func testWhenNot2() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a, .b]) { pair in
            let mirror = pair.net.mirror
            let first = Probe { try await mirror.whenNot([.a, .b], timeout: .seconds(5)) }
            let second = Probe { try await mirror.whenNot([.a, .b], timeout: .seconds(5)) }
            try await Task.sleep(for: .milliseconds(20))
            #expect(!first.returned.isSet && !second.returned.isSet, "nothing to wait for yet")
            try await pair.net.remove([.a, .b])
            try await first.task.value
            try await second.task.value
            expectStates(pair, [])
        }
    }

    @Test func testWhenNotActive() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a]) { pair in
            // B is already inactive: the wait returns although nothing changes.
            try await pair.net.mirror.whenNot([.b], timeout: .seconds(5))
            expectStates(pair, [.a])
        }
    }

    @Test func testPartialAuto() async throws {
        let schema = try Schema([
            .a: StateSpec(),
            .b: StateSpec(),
            .c: StateSpec(require: [.b], auto: true),
            .d: StateSpec(require: [.b], auto: true),
        ])
        try await withPair(schema, active: [.a]) { pair in
            try await pair.net.add([.a])
            // Auto states whose requirement is missing stay off.
            expectStates(pair, [.a])
        }
    }

    // MARK: Clocks

    private static func multiBSchema() throws -> Schema {
        try Schema([.a: StateSpec(), .b: StateSpec(multi: true), .c: StateSpec(), .d: StateSpec()])
    }

    /// Go's scripted sequence of TestTime / TestClock; the mirror's exact ticks after each step.
    private func runTimeScript(_ pair: RPCPair) async throws {
        let mirror = pair.net.mirror
        func step(_ states: [StateName], _ time: [UInt64], sourceLocation: SourceLocation = #_sourceLocation) {
            expectStates(pair, states, sourceLocation: sourceLocation)
            #expect(mirror.time(Self.abcd) == time, sourceLocation: sourceLocation)
            #expect(mirror.time() == time + [0], "Exception included", sourceLocation: sourceLocation)
        }
        // () []
        try await pair.net.add([.a, .b])
        step([.a, .b], [1, 1, 0, 0])
        try await pair.net.add([.a, .b])
        step([.a, .b], [1, 3, 0, 0])  // B is Multi: re-activated, +2
        try await pair.net.add([.a, .b, .c])
        step([.a, .b, .c], [1, 5, 1, 0])
        try await pair.net.set([.d])
        step([.d], [2, 6, 2, 1])
        try await pair.net.add([.d, .c])
        step([.c, .d], [2, 6, 3, 1])  // Go {D, C}; D7: state order
        try await pair.net.remove([.b, .c])
        step([.d], [2, 6, 4, 1])
        try await pair.net.add([.a, .b])
        step([.a, .b, .d], [3, 7, 4, 1])  // Go {D, A, B}; D7: state order
    }

    /// Go's `Time.After(true, before)`: every tick is at least the old one, and one is higher.
    private func isAfter(_ now: [UInt64], _ before: [UInt64]) -> Bool {
        now.count == before.count && zip(now, before).allSatisfy { $0 >= $1 } && now != before
    }

    @Test func testTime() async throws {
        try await withPair(try Self.multiBSchema()) { pair in
            try await runTimeScript(pair)
            let mirror = pair.net.mirror
            let before = mirror.time(Self.abcd)
            try await pair.net.add([.c])
            let now = mirror.time(Self.abcd)
            expectStates(pair, [.a, .b, .c, .d])
            #expect(now == [3, 7, 5, 1])
            #expect(isAfter(now, before))
            #expect(!isAfter(before, now))
        }
    }

    @Test func testClock() async throws {
        try await withPair(try Self.multiBSchema()) { pair in
            try await runTimeScript(pair)
            let mirror = pair.net.mirror
            // Go: a subset check; ours compares the whole clock.
            #expect(mirror.clock() == [.a: 3, .b: 7, .c: 4, .d: 1, .exception: 0])
            #expect(mirror.clock() == pair.source.clock())
            #expect(mirror.clock([.a, .b]) == [.a: 3, .b: 7])
            #expect(mirror.tick(.a) == 3)
        }
    }

    @Test func testWhenTime() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a, .b]) { pair in
            let mirror = pair.net.mirror
            // (A:1 B:1)
            let probe = Probe { try await mirror.whenTime([.a, .b], [5, 2], timeout: .seconds(5)) }
            // Tick some, but not enough.
            try await pair.net.remove([.a, .b])
            try await pair.net.add([.a, .b])
            // (A:3 B:3): not yet.
            #expect(mirror.time([.a, .b]) == [3, 3])
            await #expect(throws: MachineError.timeout) {
                try await mirror.whenTime([.a, .b], [5, 2], timeout: .milliseconds(50))
            }
            #expect(!probe.returned.isSet, "when shouldnt be resolved")
            try await pair.net.remove1(.a)
            try await pair.net.add1(.a)
            // (A:5 B:3): OK.
            #expect(mirror.time([.a, .b]) == [5, 3])
            try await probe.task.value
            #expect(probe.returned.isSet, "when should be resolved")
        }
    }

    // MARK: Predicates

    private static func autoBSchema() throws -> Schema {
        try Schema([
            .a: StateSpec(),
            .b: StateSpec(require: [.a], auto: true),
            .c: StateSpec(),
            .d: StateSpec(),
        ])
    }

    @Test func testIs() async throws {
        try await withPair(try Self.autoBSchema(), active: [.a, .b]) { pair in
            let mirror = pair.net.mirror
            #expect(mirror.is([.a, .b]), "A B should be active")
            #expect(!mirror.is([.a, .b, .c]), "A B C shouldnt be active")
        }
    }

    @Test func testNot() async throws {
        try await withPair(try Self.autoBSchema(), active: [.a, .b]) { pair in
            let mirror = pair.net.mirror
            #expect(!mirror.not([.a, .b]), "A B should be active")
            #expect(!mirror.not([.a, .b, .c]), "A B C is partially active")
            #expect(mirror.not1(.d), "D is inactive")
        }
    }

    @Test func testAny() async throws {
        try await withPair(try Self.autoBSchema(), active: [.a, .b]) { pair in
            let mirror = pair.net.mirror
            #expect(mirror.any([.a, .b], [.c]), "A B should be active")
            #expect(mirror.any([.a, .b, .c], [.a]), "A B C is partially active")
            #expect(!mirror.any([.c], [.d]))
        }
    }

    // MARK: Text

    @Test func testInspect() async throws {
        try await withPair(try RPCFixture.rels(), active: [.a, .c]) { pair in
            let mirror = pair.net.mirror
            // (A:1 C:1) [B:0 D:0 Exception:0]. Same text as Go's first expectation; D1: the
            // states in declaration order, Exception last (Go also lists the RPC source's
            // ErrOnClient, ErrProviding, ErrSendPayload, SendPayload, which ours lacks).
            #expect(mirror.inspect() == """
                1 A
                    |Tick     1
                    |Auto     true
                    |Require  C
                0 B
                    |Tick     0
                    |Multi    true
                    |Add      C
                1 C
                    |Tick     1
                    |After    D
                0 D
                    |Tick     0
                    |Add      C B
                0 Exception
                    |Tick     0
                    |Multi    true

                """)
            #expect(mirror.inspect() == pair.source.inspect())
            try await pair.net.remove([.c])
            // () [A:2 B:0 C:2 D:0 Exception:0]: A requires C.
            expectStates(pair, [])
            try await pair.net.add([.b])
            // (A:3 B:1 C:3) [D:0 Exception:0]: B adds C, A is Auto.
            expectStates(pair, [.a, .b, .c])
            try await pair.net.add([.d])
            // (A:3 B:1 C:3 D:1) [Exception:0]: B is added by D but not called, so it is not
            // re-activated (D6).
            expectStates(pair, [.a, .b, .c, .d])
            #expect(mirror.inspect() == """
                1 A
                    |Tick     3
                    |Auto     true
                    |Require  C
                1 B
                    |Tick     1
                    |Multi    true
                    |Add      C
                1 C
                    |Tick     3
                    |After    D
                1 D
                    |Tick     1
                    |Add      C B
                0 Exception
                    |Tick     0
                    |Multi    true

                """)
            #expect(mirror.inspect() == pair.source.inspect())
        }
    }

    @Test func testString() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a, .b]) { pair in
            let mirror = pair.net.mirror
            #expect(mirror.description == "(A:1 B:1)")
            // Go: `(A:1 B:1) [Exception:0 C:0 D:0 ErrOnClient:0 ...]`; D1: declaration order,
            // Exception appended, and no RPC states are merged into our source.
            #expect(mirror.descriptionAll == "(A:1 B:1) [C:0 D:0 Exception:0]")
            #expect(mirror.description == pair.source.description)
            #expect(mirror.descriptionAll == pair.source.descriptionAll)
        }
    }

    // MARK: Nested mutations, snapshots

    @Test func testNestedMutation() async throws {
        try await withPair(try RPCFixture.noRels(), setup: { source in
            // Go's `AState`: nested mutations from a handler of the source, queued there.
            source.onState(.a) { event in
                event.machine.add1(.b)
                event.machine.add1(.b)
                event.machine.add1(.b)
                event.machine.remove1(.b)
                event.machine.remove1(.b)
            }
        }) { pair in
            try await expectResult(.executed, pair.net.add1(.a))
            // The forwarded call returns once the source drained its queue, nested
            // mutations included, and the reply carries the final clock.
            expectStates(pair, [.a])
            // D3: the repeated `add B` / `remove B` are deduplicated against the last
            // queued mutation, so B went on and off once.
            #expect(pair.net.mirror.tick(.b) == 2)
        }
    }

    @Test func testIsClock() async throws {
        try await withPair(try RPCFixture.noRels()) { pair in
            let mirror = pair.net.mirror
            let clockA = mirror.clock([.a])
            let clockAll = mirror.clock()
            #expect(mirror.isClock(clockA) && mirror.isClock(clockAll), "nothing changed yet")
            try await pair.net.add([.a, .b])
            #expect(!mirror.isClock(clockAll))
            #expect(!mirror.isClock(clockA))
        }
    }

    @Test func testIsTime() async throws {
        // There is no `isTime`: a time snapshot is compared with the current time.
        try await withPair(try RPCFixture.noRels()) { pair in
            let mirror = pair.net.mirror
            let timeA = mirror.time([.a])
            let timeAll = mirror.time()
            #expect(mirror.time([.a]) == timeA && mirror.time() == timeAll, "nothing changed yet")
            try await pair.net.add([.a, .b])
            #expect(mirror.time([.a]) != timeA)
            #expect(mirror.time() != timeAll)
        }
    }

    // MARK: Queue and queries

    @Test func testWhenQueue() async throws {
        let handlerEntered = Flag()
        let release = Flag()
        try await withPair(try RPCFixture.noRels(), setup: { source in
            // A slow handler keeps the source busy until B, C and D are queued (not for a
            // fixed time, which a loaded test machine can outlast); bounded, so a failing
            // test cannot hang.
            source.onState(.a) { _ in
                handlerEntered.set()
                let deadline = ContinuousClock.now + .seconds(10)
                while !release.isSet, ContinuousClock.now < deadline { usleep(1_000) }
            }
            // A slow negotiation of the last queued mutation: the source has counted its
            // queue tick (taken off the queue) but not applied it yet. Only widens a window
            // that exists anyway (the race is seen without it in roughly 1 run of 10): a
            // clock pushed in that window carries D's queue tick without D.
            source.onEnter(.d) { _ in
                usleep(100_000)
                return true
            }
        }) { pair in
            // Mutations of one client run one after another on the server (a serial
            // queue per session), so the slow mutation comes from a second client.
            let port = try #require(pair.server.port)
            let other = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "rc-test-2"))
            do {
                let otherNet = try await other.connect()
                let slow = Task { try await otherNet.add1(.a) }
                let entered = try await eventually { handlerEntered.isSet }
                #expect(entered, "the slow handler runs")
                var ticks: [UInt64] = []
                for state in [StateName.b, .c, .d] {
                    let result = try await pair.net.add1(state)
                    guard case .queued(let tick) = result else {
                        Issue.record("add \(state) while the source is busy: expected queued, got \(result)")
                        continue
                    }
                    ticks.append(tick)
                }
                release.set()
                #expect(ticks.count == 3 && ticks == ticks.sorted())
                let last = try #require(ticks.last)
                // Queue ticks are mirrored: the wait runs locally on the mirror.
                try await pair.net.mirror.whenQueue(last, timeout: .seconds(5))
                #expect(pair.net.mirror.queueTick >= last)
                // whenQueue(tick) means "the mutation that returned .queued(tick) has been
                // processed" (semantics.md; Go's TestWhenQueue asserts A-D right after
                // WhenQueue): the mirror must show its effect now.
                #expect(pair.net.mirror.activeStates() == Self.abcd, "every queued mutation is visible")
                // The same promise on the source, for a wait that starts while the queued
                // mutation is still running (the slow Enter above).
                try await pair.source.whenQueue(last, timeout: .seconds(5))
                #expect(pair.source.activeStates() == Self.abcd)
                // Either way D does arrive: only the moment whenQueue returns is early.
                try await pair.net.mirror.when1(.d, timeout: .seconds(5))
                #expect(pair.net.mirror.activeStates() == Self.abcd)
                try await expectResult(.executed, slow.value)
                #expect(pair.source.activeStates() == Self.abcd)
            } catch {
                await other.close()
                throw error
            }
            await other.close()
        }
    }

    @Test func testWhenQuery() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a]) { pair in
            let mirror = pair.net.mirror
            let query1: @Sendable ([StateName: UInt64]) -> Bool = { ($0[.a] ?? 0) > ($0[.b] ?? 0) * 4 }
            let query2: @Sendable ([StateName: UInt64]) -> Bool = { ($0[.a] ?? 0) < ($0[.b] ?? 0) }
            // (A:1 B:0) holds query1 already. D23: whenQuery is level-triggered (Go checks
            // only after the next transition), so it returns at once.
            try await mirror.whenQuery(timeout: .seconds(5), query1)
            try await pair.net.add1(.b)
            // 1, 1: neither holds; the waits start here.
            let when1 = Probe { try await mirror.whenQuery(timeout: .seconds(5), query1) }
            let when2 = Probe { try await mirror.whenQuery(timeout: .seconds(5), query2) }
            try await pair.net.remove1(.a)  // 2, 1
            try await pair.net.add1(.a)  // 3, 1
            try await pair.net.remove1(.a)  // 4, 1
            try await Task.sleep(for: .milliseconds(50))
            #expect(!when1.returned.isSet, "should NOT match")
            #expect(!when2.returned.isSet, "should NOT match")
            try await pair.net.add1(.a)  // 5, 1: query1 matches
            #expect(mirror.time([.a, .b]) == [5, 1])
            try await when1.task.value
            #expect(when1.returned.isSet, "should match")
            #expect(!when2.returned.isSet, "should NOT match")
            when2.task.cancel()
            await #expect(throws: CancellationError.self) { try await when2.task.value }
        }
    }

    // MARK: Pipes, state contexts

    @Test func testPipes() async throws {
        try await withPair(try RPCFixture.noRels(), active: [.a]) { pair in
            let local = Machine(try RPCFixture.noRels(), id: "local")
            defer { local.dispose() }
            // Go: `BindAny(mirror, local)` after copying the active states. Per state here;
            // `initial` copies the already active A.
            let links = Self.abcd.map { Pipes.bind(pair.net.mirror, $0, to: local, $0) }
            defer { links.forEach { $0.dispose() } }
            #expect(local.activeStates() == [.a])
            // Changes made on the source reach the local machine through the mirror.
            pair.source.add([.a, .b])
            try await local.when([.a, .b], timeout: .seconds(5))
            #expect(local.activeStates() == [.a, .b])
            pair.source.remove1(.a)
            try await local.whenNot([.a], timeout: .seconds(5))
            #expect(local.activeStates() == [.b])
            #expect(pair.net.mirror.activeStates() == [.b])
            #expect(local.tick(.exception) == 0)
        }
    }

    @Test func testStateCtxBasic() async throws {
        try await withPair(try Self.multiBSchema()) { pair in
            let mirror = pair.net.mirror
            // D8: the context of an inactive state is already cancelled (Go: a live
            // context, cancelled when the state activates).
            #expect(mirror.stateContext(.a).isCancelled)

            // Deactivation through the network.
            try await pair.net.add1(.a)
            let ctxA = mirror.stateContext(.a)
            #expect(!ctxA.isCancelled)
            #expect(mirror.stateContext(.a) === ctxA, "one context per activation")
            let cancelledA = Flag()
            ctxA.onCancel { cancelledA.set() }
            let bound = ctxA.task {
                try? await Task.sleep(for: .seconds(10))
            }
            try await pair.net.remove1(.a)
            #expect(ctxA.isCancelled, "cancelled when the mirrored state deactivates")
            #expect(cancelledA.isSet)
            await bound.value
            #expect(bound.isCancelled)
            #expect(mirror.stateContext(.a).isCancelled, "inactive again")

            // Re-activation of a Multi state ends the previous activation's context.
            try await pair.net.add1(.b)
            let ctxB1 = mirror.stateContext(.b)
            #expect(!ctxB1.isCancelled)
            try await pair.net.add1(.b)
            #expect(mirror.tick(.b) == 3)
            #expect(ctxB1.isCancelled, "cancelled when the Multi state is re-activated")
            let ctxB2 = mirror.stateContext(.b)
            #expect(!ctxB2.isCancelled && ctxB2 !== ctxB1)

            // A change made on the source, pushed to the mirror.
            pair.source.remove1(.b)
            try await mirror.whenNot1(.b, timeout: .seconds(5))
            #expect(ctxB2.isCancelled)
        }
    }
}
