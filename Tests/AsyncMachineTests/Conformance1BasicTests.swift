import AsyncMachine
import Testing

/// machine-semantics.md §9.1, cases 1-3: basic mutations.
@Suite struct Conformance1BasicTests {
    // MARK: Case 1

    @Test func testSingleStateActive() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        #expect(machine.activeStates() == [])
        #expect(machine.set([.a]) == .executed)
        #expect(machine.activeStates() == [.a])
        #expect(machine.is1(.a))
        #expect(machine.tick(.a) == 1)
    }

    @Test func testMultipleStatesActive() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        #expect(machine.add([.b]) == .executed)
        #expect(machine.activeStates() == [.a, .b])
        #expect(machine.is([.a, .b]))
    }

    @Test func testStateAdd() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        #expect(machine.add([.b]) == .executed)
        #expect(machine.activeStates() == [.a, .b])
        // A stays active without ticking; B is newly active.
        #expect(machine.time([.a, .b, .c, .d]) == [1, 1, 0, 0])
    }

    @Test func testStateSet() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        #expect(machine.set([.b]) == .executed)
        #expect(machine.activeStates() == [.b])
        #expect(machine.time([.a, .b]) == [2, 1])
    }

    @Test func testStateRemove() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.b, .c])
        #expect(machine.remove([.c]) == .executed)
        #expect(machine.activeStates() == [.b])
        #expect(machine.time([.b, .c]) == [1, 2])
    }

    // MARK: Case 2

    @Test func testExposeAllStateNames() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        // D1: the order is the declaration order (here it equals Go's sorted order).
        #expect(machine.stateNames == [.a, .b, .c, .d, .exception])
        #expect(Set(machine.stateNames) == Set([.a, .b, .c, .d, .exception]))
    }

    @Test func testPanicWhenStateIsUnknown() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        // D14: no panic; an unknown state is a failed result and nothing changes.
        #expect(machine.set([.e]) == .failed(.unknownState(.e)))
        #expect(machine.activeStates() == [.a])
        #expect(machine.tick(.a) == 1)
    }

    @Test func testCountActive() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        #expect(machine.activeStates([.a, .b]).count == 1)
        #expect(machine.activeStates([.a, .b]) == [.a])
    }

    // MARK: Case 3

    @Test func testToggle() throws {
        let machine = Fixture.machine(try Fixture.noRels())

        #expect(machine.toggle1(.a) == .executed)
        #expect(machine.activeStates() == [.a])
        #expect(machine.toggle1(.a) == .executed)
        #expect(machine.activeStates() == [])

        #expect(machine.toggle([.a]) == .executed)
        #expect(machine.activeStates() == [.a])
        #expect(machine.toggle([.a]) == .executed)
        #expect(machine.activeStates() == [])

        // D21 (same as Go): with only some active, toggle adds them all; with all active, removes all.
        machine.add1(.a)
        #expect(machine.toggle([.a, .b]) == .executed)
        #expect(machine.activeStates() == [.a, .b])
        #expect(machine.toggle([.a, .b]) == .executed)
        #expect(machine.activeStates() == [])
        #expect(machine.time([.a, .b]) == [6, 2])
    }
}
