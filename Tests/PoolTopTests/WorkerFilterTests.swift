import AsyncMachineNode
import Testing
@testable import PoolTop

@Suite("/ filter")
struct WorkerFilterTests {
    let idle = Fixture.worker(1)
    let busy = Fixture.worker(12, .busy, client: "c-3", errors: 2, lastError: "ErrWork: timeout")

    @Test("field terms")
    func fields() {
        #expect(WorkerFilter("state=busy").matches(busy, group: .busy))
        #expect(!WorkerFilter("state=busy").matches(idle, group: .idle))
        #expect(WorkerFilter("state=Working").matches(busy, group: .busy))
        #expect(WorkerFilter("client=c-3").matches(busy, group: .busy))
        #expect(!WorkerFilter("client=c-3").matches(idle, group: .idle))
        #expect(WorkerFilter("err>0").matches(busy, group: .busy))
        #expect(!WorkerFilter("err>0").matches(idle, group: .idle))
        #expect(WorkerFilter("err>=2").matches(busy, group: .busy))
        #expect(!WorkerFilter("err<2").matches(busy, group: .busy))
        #expect(WorkerFilter("err=0").matches(idle, group: .idle))
        #expect(WorkerFilter("id=w12").matches(busy, group: .busy))
        #expect(WorkerFilter("pid=4401").matches(idle, group: .idle))
        #expect(WorkerFilter("state=gone").matches(idle, group: .gone))
        #expect(!WorkerFilter("state=idle").matches(idle, group: .gone))
        #expect(WorkerFilter("state=killing").matches(busy, group: .killing))
    }

    @Test("free text and inversion")
    func text() {
        #expect(WorkerFilter("timeout").matches(busy, group: .busy))
        #expect(WorkerFilter("W12").matches(busy, group: .busy))
        #expect(!WorkerFilter("!w12").matches(busy, group: .busy))
        #expect(WorkerFilter("!state=idle").matches(busy, group: .busy))
        #expect(!WorkerFilter("!state=idle").matches(idle, group: .idle))
        // Terms must all hold.
        #expect(!WorkerFilter("state=busy client=c-9").matches(busy, group: .busy))
        #expect(WorkerFilter("").matches(idle, group: .idle))
    }

    @Test("bad terms are reported and left out")
    func errors() {
        let unknown = WorkerFilter("state=sleeping")
        #expect(unknown.error?.contains("unknown state 'sleeping'") == true)
        #expect(unknown.matches(idle, group: .idle))
        #expect(WorkerFilter("err>").error == "err> needs a number, as in err>0")
        #expect(WorkerFilter("state=busy").error == nil)
    }
}
