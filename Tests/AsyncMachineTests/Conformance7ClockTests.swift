import AsyncMachine
import Testing

/// machine-semantics.md §9.7, cases 43-44: clocks.
@Suite struct Conformance7ClockTests {
    /// NoRels with B Multi: the machine of the tick table in §2.6.
    private func clockMachine() throws -> Machine {
        Fixture.machine(try Fixture.noRels([.b: StateSpec(multi: true)]))
    }

    /// Steps 1-7 of the §2.6 table, checking A B C D after each.
    private func runSteps1to7(_ machine: Machine) {
        machine.add([.a, .b])
        #expect(machine.time([.a, .b, .c, .d]) == [1, 1, 0, 0])
        machine.add([.a, .b])
        #expect(machine.time([.a, .b, .c, .d]) == [1, 3, 0, 0])
        machine.add([.a, .b, .c])
        #expect(machine.time([.a, .b, .c, .d]) == [1, 5, 1, 0])
        machine.set([.d])
        #expect(machine.time([.a, .b, .c, .d]) == [2, 6, 2, 1])
        machine.add([.d, .c])
        #expect(machine.time([.a, .b, .c, .d]) == [2, 6, 3, 1])
        machine.remove([.b, .c])
        #expect(machine.time([.a, .b, .c, .d]) == [2, 6, 4, 1])
        machine.add([.a, .b])
        #expect(machine.time([.a, .b, .c, .d]) == [3, 7, 4, 1])
    }

    // MARK: Case 43

    @Test func testTime() throws {
        let machine = try clockMachine()
        let before = machine.time()
        runSteps1to7(machine)
        machine.add([.c])
        let now = machine.time()
        // The full vector is in state order, Exception last.
        #expect(now == [3, 7, 5, 1, 0])
        #expect(now.reduce(0, +) == 16)
        // Go's `now.After(true, before)`: every tick is >= the earlier one, and not the
        // other way round.
        #expect(zip(now, before).allSatisfy { $0 >= $1 })
        #expect(!zip(before, now).allSatisfy { $0 >= $1 })
        #expect(machine.activeStates() == [.a, .b, .c, .d])
    }

    @Test func testClock() throws {
        let machine = try clockMachine()
        runSteps1to7(machine)
        #expect(machine.clock() == [.a: 3, .b: 7, .c: 4, .d: 1, .exception: 0])
        #expect(machine.tick(.a) == 3)
        #expect(machine.clock([.b, .d]) == [.b: 7, .d: 1])
        // Odd = active.
        #expect(machine.activeStates() == [.a, .b, .d])
    }

    // MARK: Case 44

    @Test func testIsClock() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        var cA = machine.clock([.a])
        let cAll = machine.clock()
        #expect(machine.isClock(cA))
        #expect(machine.isClock(cAll))
        machine.add([.a, .b])
        #expect(!machine.isClock(cAll))
        #expect(!machine.isClock(cA))
        cA[.a]! += 1
        #expect(machine.isClock(cA))
    }

    @Test func testIsTime() throws {
        // `IsTime(t, states)` is not ported: the same equality check is done on `time(states)`.
        let machine = Fixture.machine(try Fixture.noRels())
        var tA = machine.time([.a])
        let tAll = machine.time()
        machine.add([.a, .b])
        #expect(machine.time() != tAll)
        #expect(machine.time([.a]) != tA)
        tA[0] += 1
        #expect(machine.time([.a]) == tA)
        #expect(machine.time([.a, .b]) == [1, 1])
    }

    @Test func testString() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        #expect(machine.stateNames == [.a, .b, .c, .d, .exception])
        #expect(machine.description == "(A:1 B:1)")
        #expect(machine.descriptionAll == "(A:1 B:1) [C:0 D:0 Exception:0]")
    }

    @Test func testIs() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        #expect(machine.is([.a, .b]))
        #expect(!machine.is([.a, .b, .c]))
        #expect(machine.is([]))
        #expect(machine.is1(.a))
        #expect(!machine.is1(.c))
    }

    @Test func testNot() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        #expect(!machine.not([.a, .b]))
        #expect(!machine.not([.a, .b, .c]))
        #expect(machine.not1(.d))
        #expect(machine.not([.c, .d]))
    }

    @Test func testAny() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a, .b])
        #expect(machine.any([.a, .b], [.c]))
        #expect(machine.any([.a, .b, .c], [.a]))
        #expect(machine.any1(.a, .b))
        #expect(!machine.any([.c]))
        #expect(!machine.any1(.c, .d))
    }
}
