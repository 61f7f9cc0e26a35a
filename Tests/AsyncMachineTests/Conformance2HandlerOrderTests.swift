import AsyncMachine
import Synchronization
import Testing

/// Records the args every handler saw, by handler name.
fileprivate final class ArgsLog: Sendable {
    private let seen = Mutex<[String: Args]>([:])
    func record(_ event: Event) { seen.withLock { $0[event.name] = event.args } }
    subscript(name: String) -> Args? { seen.withLock { $0[name] } }
}

/// Counts calls by handler name.
fileprivate final class Calls: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func hit(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
    subscript(name: String) -> Int { counts.withLock { $0[name, default: 0] } }
}

/// machine-semantics.md §9.2, cases 4-14: handler order.
@Suite struct Conformance2HandlerOrderTests {
    // MARK: Case 4

    @Test func testSingleToSingleStateTransition() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        let log = HandlerLog(machine)
        #expect(machine.set([.c]) == .executed)
        #expect(machine.activeStates() == [.c])
        let names = log.take()
        #expect(containsInOrder(names, seq("AExit BExit CEnter AC BC CState")))
        #expect(names == seq("AExit BExit CEnter AC BC AnyEnter AEnd BEnd CState AnyState"))
        // Every recorded handler is called once.
        #expect(Set(names).count == names.count)
    }

    // MARK: Case 5

    @Test func testSingleToMultiStateTransition() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let log = HandlerLog(machine)
        #expect(machine.set([.b, .c]) == .executed)
        #expect(machine.activeStates() == [.b, .c])
        let names = log.take()
        #expect(names == seq("AExit BEnter CEnter AB AC AnyEnter AEnd BState CState AnyState"))
        #expect(Set(names).count == names.count)
    }

    // MARK: Case 6

    @Test func testMultiToMultiStateTransition() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        let log = HandlerLog(machine)
        #expect(machine.set([.d, .c]) == .executed)
        // D7: active states are reported in state order.
        #expect(machine.activeStates() == [.c, .d])
        // The enter order follows the called order (D before C).
        #expect(log.take() == seq("AExit BExit DEnter CEnter AD AC BD BC AnyEnter AEnd BEnd DState CState AnyState"))
    }

    // MARK: Case 7

    @Test func testMultiToSingleStateTransition() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        let log = HandlerLog(machine)
        #expect(machine.set([.c]) == .executed)
        let names = log.take()
        #expect(containsInOrder(names, seq("AExit BExit CEnter AC BC AnyEnter AEnd BEnd CState AnyState")))
        // AnyEnter comes after the pair handlers, AnyState last.
        let anyEnter = try #require(names.firstIndex(of: "AnyEnter"))
        #expect(try #require(names.firstIndex(of: "BC")) < anyEnter)
        #expect(names.last == "AnyState")
    }

    // MARK: Case 8

    @Test func testTransitionToActiveState() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        let log = HandlerLog(machine)
        #expect(machine.set([.a]) == .executed)
        #expect(machine.activeStates() == [.a])
        let names = log.take()
        #expect(!names.contains("AExit"))
        // D5: no pair handler BA, because A stays active (Go: BExit AA BA AnyEnter BEnd AnyState).
        #expect(names == seq("BExit AA AnyEnter BEnd AnyState"))
        #expect(machine.tick(.a) == 1)
        #expect(machine.tick(.b) == 2)
    }

    // MARK: Cases 9 and 10

    private func afterSchema() throws -> Schema {
        try Fixture.noRels([.a: StateSpec(after: [.b]), .c: StateSpec(after: [.d])])
    }

    @Test func testAfterRelationWhenEntering() throws {
        let machine = Fixture.machine(try afterSchema())
        machine.set([.a, .b])
        let log = HandlerLog(machine)
        #expect(machine.set([.c, .d]) == .executed)
        #expect(machine.activeStates() == [.c, .d])
        let names = log.take()
        #expect(containsInOrder(names, seq("DEnter CEnter AD AC")))
        #expect(containsInOrder(names, seq("DState CState")))
    }

    @Test func testAfterRelationWhenExiting() throws {
        let machine = Fixture.machine(try afterSchema())
        machine.set([.a, .b])
        let log = HandlerLog(machine)
        #expect(machine.set([.c, .d]) == .executed)
        #expect(machine.activeStates() == [.c, .d])
        let names = log.take()
        #expect(containsInOrder(names, seq("BExit AExit AD AC BD BC")))
        // D7: pair handlers loop over the previously active states in state order (A, B);
        // Go loops in its stored order [B A]: BD BC AD AC.
        #expect(names == seq("BExit AExit DEnter CEnter AD AC BD BC AnyEnter BEnd AEnd DState CState AnyState"))
    }

    // MARK: Case 11

    private func requireOrderSchema(_ order: [StateName] = [.a, .b, .c, .d]) throws -> Schema {
        let specs: [StateName: StateSpec] = [
            .a: StateSpec(require: [.b, .c], auto: true),
            .b: StateSpec(require: [.d], auto: true),
            .c: StateSpec(auto: true),
            .d: StateSpec(auto: true),
        ]
        return try Schema(pairs: order.map { ($0, specs[$0]!) } + [(.start, StateSpec())])
    }

    @Test func testRequireOrder() throws {
        let machine = Fixture.machine(try requireOrderSchema())
        let log = HandlerLog(machine)
        #expect(machine.add1(.start) == .executed)
        #expect(machine.activeStates() == [.a, .b, .c, .d, .start])
        let names = log.take()
        #expect(containsInOrder(names, seq("DState BState AState")))
        #expect(containsInOrder(names, seq("CState AState")))
        for state in ["A", "B", "C", "D", "Start"] {
            #expect(names.filter { $0 == state + "State" }.count == 1, "\(state)State")
        }
        // Once for Start, once for the auto transition.
        #expect(names.filter { $0 == "AnyEnter" }.count == 2)
        #expect(names.filter { $0 == "AnyState" }.count == 2)

        // Go's SortStates on any permutation of [A, B, C, D] gives [D, B, C, A]: here the
        // handler order of a set of those states, whatever the called order.
        let all: [StateName] = [.a, .b, .c, .d]
        for perm in permutations(all) {
            let m = Fixture.machine(try requireOrderSchema())
            let l = HandlerLog(m)
            #expect(m.set(perm) == .executed)
            let enters = l.take().filter { $0.hasSuffix("Enter") && $0 != "AnyEnter" }
            #expect(enters == seq("DEnter BEnter CEnter AEnter"), "set \(perm)")
        }
    }

    // MARK: Case 12

    @Test func testHandlerStateState() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let log = HandlerLog(machine)
        #expect(machine.add1(.b) == .executed)
        let names = log.take()
        #expect(names.contains("AB"))
        #expect(!names.contains("BA"))
    }

    @Test func testSelfHandlersOrder() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let log = HandlerLog(machine)
        #expect(machine.set([.a, .b]) == .executed)
        #expect(log.take() == seq("BEnter AA AB AnyEnter BState AnyState"))
    }

    @Test func testSelfHandlersForAllNoChangeStates() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let log = HandlerLog(machine)
        #expect(machine.add([.b]) == .executed)
        #expect(machine.add([.a]) == .executed)
        let names = log.take()
        #expect(names.filter { $0 == "AA" }.count == 2)
        #expect(names.filter { $0 == "BB" }.count == 1)
        #expect(machine.activeStates() == [.a, .b])
    }

    // MARK: Case 13

    @Test func testSelfHandlersCancellable() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let log = HandlerLog(machine, vetoes: ["AA"])
        #expect(machine.set([.a, .b]) == .canceled)
        let names = log.take()
        #expect(names.filter { $0 == "AA" }.count == 1)
        #expect(names == seq("BEnter AA"))
        #expect(!names.contains("AnyB"))
        #expect(machine.activeStates() == [.a])
        #expect(machine.tick(.b) == 0)
    }

    // MARK: Case 14

    @Test func testAnonHandlers() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let calls = Calls()
        machine.onExit(.a) { e in
            calls.hit(e.name)
            return true
        }
        machine.onEnd(.a) { e in calls.hit(e.name) }
        #expect(machine.remove([.a]) == .executed)
        #expect(machine.not1(.a))
        #expect(calls["AExit"] == 1)
        #expect(calls["AEnd"] == 1)
    }

    @Test func testHandlerArgs() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let seen = ArgsLog()
        machine.onEnter(.b) { e in
            seen.record(e)
            return true
        }
        machine.onExit(.a) { e in
            seen.record(e)
            return true
        }
        machine.onState(.c) { e in seen.record(e) }
        let args: Args = ["foo": "bar"]

        #expect(machine.add([.b], args) == .executed)
        #expect(seen["BEnter"]?["foo"] == .string("bar"))
        #expect(machine.remove([.a], args) == .executed)
        #expect(seen["AExit"]?["foo"] == .string("bar"))
        #expect(machine.set([.c], args) == .executed)
        #expect(seen["CState"]?["foo"] == .string("bar"))
    }
}

fileprivate func permutations(_ items: [StateName]) -> [[StateName]] {
    guard items.count > 1 else { return [items] }
    var result: [[StateName]] = []
    for (i, item) in items.enumerated() {
        var rest = items
        rest.remove(at: i)
        for tail in permutations(rest) { result.append([item] + tail) }
    }
    return result
}
