import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Testing

@Suite("Replay of transitions that changed nothing")
struct CanceledTransitionReplayTests {
    @Test("a vetoed fork neither lists a worker nor counts as forked, and its clock after is the clock before")
    func vetoedForkChangesNothing() throws {
        let dir = TempDir()
        let path = dir.file("vetoed.amrec")
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "test", toolVersion: "0"))
        let supervisor = Machine(.supervisor, id: "ns-test")
        recorder.record(supervisor, role: .supervisor)
        recorder.recordSnapshot(Snapshots.pool(seq: 1, takenAt: 1, workers: []))
        supervisor.onEnter(.forkWorker) { _ in false }
        #expect(supervisor.add1(.forkWorker, ["worker": "w9"]) == .canceled)
        #expect(supervisor.canAdd1(.forkWorker, ["worker": "w8"]) == .canceled)
        recorder.close()

        let cursor = try ReplayCursor(path: path)
        try cursor.last()
        #expect(cursor.snapshot?.workers.isEmpty == true)
        #expect(cursor.snapshot?.counters.forked == 0)
        let (records, _) = try RecordingReader(path: path).records()
        let vetoed = try #require(records.compactMap { entry -> TransitionRecord? in
            if case .transition(let t, _) = entry.body, t.called == [.forkWorker], !t.accepted { t } else { nil }
        }.first)
        #expect(vetoed.timeAfter == vetoed.timeBefore)
        // Nor does it count as a change of ForkWorker.
        try cursor.first()
        #expect(try !cursor.nextChange(of: .forkWorker))
    }
}
