import AsyncMachine
import Testing

@Suite struct SmokeTests {
    @Test func handlerLogRecordsFullOrder() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        #expect(machine.set([.a, .b]) == .executed)
        let log = HandlerLog(machine)
        #expect(machine.set([.c]) == .executed)
        #expect(log.take() == seq("AExit BExit CEnter AC BC AnyEnter AEnd BEnd CState AnyState"))
        #expect(machine.activeStates() == [.c])
    }
}
