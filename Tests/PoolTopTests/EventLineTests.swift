import AsyncMachine
import AsyncMachineNode
@testable import PoolTop
import Testing

@Suite("Event log lines")
struct EventLineTests {
    @Test("a worker mirror's clock update shows what changed, not every active state")
    func mirrorSyncShowsChanges() {
        let sync = Fixture.transition("w3", .set, called: ["Start", "Ready", "RpcReady", "SuperConnected", "ErrWork", "Exception"],
                                      entered: ["ErrWork", "Exception"], at: Fixture.t0)
        let line = EventLine(sync).plain
        #expect(line.contains("w3 sync  +ErrWork +Exception"))
        #expect(!line.contains("SuperConnected"))
        // A set the supervisor itself ran keeps its called states.
        let set = EventLine(Fixture.transition(nil, .set, called: ["Start", "Ready"], entered: ["Ready"], at: Fixture.t0)).plain
        #expect(set.contains("super set Start Ready  +Ready"))
    }

    @Test("the log leaves out transitions that changed nothing, unless a filter asks for them")
    func unchangedTransitionsAreHidden() {
        let noop = Fixture.transition(nil, called: ["PoolReady"], at: Fixture.t0 - Fixture.seconds(2))
        let change = Fixture.transition(nil, called: ["PoolNormalized"], entered: ["PoolNormalized"], at: Fixture.t0 - Fixture.seconds(1))
        var model = Fixture.model(events: [noop, change])
        let screen = model.screen().text
        #expect(screen.contains("super add PoolNormalized  +PoolNormalized"))
        #expect(!screen.contains("super add PoolReady"))
        _ = model.press(.character("/"))
        for c in "PoolReady" { _ = model.press(.character(c)) }
        _ = model.press(.enter)
        #expect(model.screen().text.contains("super add PoolReady"))
    }
}
