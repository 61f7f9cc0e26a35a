import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Testing

/// The replay controls: step, first, last, and jumps to the next or previous change of a
/// worker, of a state, or error.
@Suite struct CursorNavigationTests {
    struct Fixture {
        let dir: TempDir
        let pool: SyntheticPool
        let records: [RecordEntry]
        var total: UInt64 { UInt64(pool.transitions) }

        init() throws {
            dir = TempDir("navigation")
            pool = try SyntheticPool(path: dir.file("nav.amrec"), transitions: 700, checkpointInterval: 50, seed: 13)
            records = try RecordingReader(path: pool.path).records().records
        }

        /// Distinct positions of the records matching `predicate` (given the machines known then).
        func positions(_ predicate: (RecordEntry, [UInt32: RecordedMachine]) -> Bool) -> [UInt64] {
            var machines: [UInt32: RecordedMachine] = [:]
            var found: [UInt64] = []
            for entry in records {
                if let m = entry.body.machine { machines[m.handle] = m }
                if predicate(entry, machines), found.last != entry.frame.transitionCount { found.append(entry.frame.transitionCount) }
            }
            return found
        }

        /// Documented: a worker's accepted transitions that changed its clock, its errors, and actions aimed at it.
        func changes(ofWorker id: String) -> [UInt64] {
            positions { entry, machines in
                switch entry.body {
                case .transition(let t, let handle): machines[handle]?.worker == id && t.accepted && t.timeBefore != t.timeAfter
                case .error(let e): e.worker == id
                case .action(let a): a.target == id
                default: false
                }
            }
        }

        func changes(of state: StateName, machine: String? = nil) -> [UInt64] {
            positions { entry, _ in
                guard let t = entry.body.transition, machine == nil || t.machineId == machine else { return false }
                return t.entered.contains(state) || t.exited.contains(state)
            }
        }

        var errors: [UInt64] { positions { entry, _ in entry.body.error != nil } }
    }

    /// Every position `next` visits from the start, and every one `previous` visits from the end.
    private func walk(_ cursor: ReplayCursor, total: UInt64, next: () throws -> Bool, previous: () throws -> Bool) throws -> (forward: [UInt64], backward: [UInt64]) {
        try cursor.first()
        var forward: [UInt64] = []
        while try next() { forward.append(cursor.position) }
        let stop = cursor.position
        #expect(try next() == false)
        #expect(cursor.position == stop, "no match: no move")
        try cursor.last()
        #expect(cursor.position == total)
        var backward: [UInt64] = []
        while try previous() { backward.append(cursor.position) }
        let start = cursor.position
        #expect(try previous() == false)
        #expect(cursor.position == start, "no match: no move")
        return (forward, backward)
    }

    @Test(.timeLimit(.minutes(1)))
    func nextAndPreviousChangeOfAWorker() throws {
        let f = try Fixture()
        let cursor = try ReplayCursor(path: f.pool.path)
        for worker in f.pool.workers {
            let expected = f.changes(ofWorker: worker)
            #expect(expected.count > 20, "\(worker) changes often")
            let (forward, backward) = try walk(cursor, total: f.total, next: { try cursor.nextChange(ofWorker: worker) },
                                               previous: { try cursor.previousChange(ofWorker: worker) })
            #expect(forward == expected.filter { $0 > 0 }, "next change of \(worker)")
            #expect(backward == expected.filter { $0 < f.total }.reversed(), "previous change of \(worker)")
        }
        #expect(try cursor.nextChange(ofWorker: "w-nobody") == false)
    }

    @Test(.timeLimit(.minutes(1)))
    func nextAndPreviousChangeOfAState() throws {
        let f = try Fixture()
        let cursor = try ReplayCursor(path: f.pool.path)
        for (state, machine) in [(StateName.workRequested, nil), (.workRequested, SyntheticPool.workerMachineId("w2")),
                                 (.poolReady, nil), (.exception, SyntheticPool.supervisorId)] as [(StateName, String?)] {
            let expected = f.changes(of: state, machine: machine)
            #expect(!expected.isEmpty)
            let (forward, backward) = try walk(cursor, total: f.total, next: { try cursor.nextChange(of: state, machine: machine) },
                                               previous: { try cursor.previousChange(of: state, machine: machine) })
            #expect(forward == expected.filter { $0 > 0 }, "next change of \(state) in \(machine ?? "any machine")")
            #expect(backward == expected.filter { $0 < f.total }.reversed(), "previous change of \(state) in \(machine ?? "any machine")")
            // Where it stops, the state did change there.
            try cursor.first()
            if try cursor.nextChange(of: state, machine: machine) {
                let last = try #require(try cursor.events(limit: 50).last { $0.kind == .transition })
                #expect(last.transition.map { $0.entered.contains(state) || $0.exited.contains(state) } == true)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func nextAndPreviousError() throws {
        let f = try Fixture()
        let cursor = try ReplayCursor(path: f.pool.path)
        let expected = f.errors
        #expect(expected.count > 10)
        let (forward, backward) = try walk(cursor, total: f.total, next: { try cursor.nextError() }, previous: { try cursor.previousError() })
        #expect(forward == expected.filter { $0 > 0 })
        #expect(backward == expected.filter { $0 < f.total }.reversed())
        // At each error position the error is in the event log.
        try cursor.first()
        while try cursor.nextError() {
            #expect(try cursor.events(limit: 10).contains { $0.kind == .error }, "at \(cursor.position)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func stepFirstAndLast() throws {
        let f = try Fixture()
        let cursor = try ReplayCursor(path: f.pool.path)
        let fresh = try ReplayCursor(path: f.pool.path)
        #expect(cursor.position == 0 && cursor.transitionCount == f.total)
        let atStart = cursor.state
        #expect(atStart.transitions == 0 && atStart.snapshot != nil, "the first keyframe comes before the first transition")

        try cursor.last()
        #expect(cursor.position == f.total && cursor.state.transitions == f.total)
        #expect(cursor.time == f.records.last?.frame.time, "at the end, the time of the last record")
        // Backwards one at a time: each position equals a fresh seek there.
        for expected in stride(from: f.total - 1, through: f.total - 120, by: -1) {
            try cursor.step(-1)
            #expect(cursor.position == expected)
            try fresh.seek(toTransition: expected)
            #expect(cursor.state == fresh.state, "step(-1) to \(expected)")
        }
        try cursor.step(-50)
        #expect(cursor.position == f.total - 170)
        try cursor.step(25)
        #expect(cursor.position == f.total - 145)
        try fresh.seek(toTransition: f.total - 145)
        #expect(cursor.state == fresh.state)
        // Steps clamp at both ends.
        try cursor.first()
        #expect(cursor.position == 0 && cursor.state == atStart)
        try cursor.step(-1)
        #expect(cursor.position == 0 && cursor.state == atStart)
        try cursor.step(Int(f.total) + 10)
        #expect(cursor.position == f.total)
        try cursor.step(1)
        #expect(cursor.position == f.total)
        try cursor.first()
        #expect(cursor.state == atStart && cursor.position == 0)
        #expect(try cursor.events(limit: 100) == expectedEvents(f.records, upTo: 0))
    }
}
