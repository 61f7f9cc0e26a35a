import ArgumentParser
import AsyncMachine
import AsyncMachineRecording
import Foundation

struct RecordingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recording",
        abstract: "Recorder overhead on scenario S2, bytes per transition, write throughput, and seek time in a large recording.",
        discussion: """
            Lines: S2 without and with a recorder attached (ratio target <= 2); the write \
            throughput and bytes per transition of a recording of --transitions transitions; \
            the time to seek to random transitions and times in it (target <= 10 ms for any \
            point). Files go to --directory and are removed afterwards.
            """)

    @Option(help: "S2 iterations per run (2 mutations each).")
    var iterations = 100_000

    @Option(help: "S2 timed runs (the median is reported).")
    var runs = 5

    @Option(help: "Transitions in the recording that the seek benchmark reads.")
    var transitions = 1_000_000

    @Option(help: "Random seeks to time.")
    var seeks = 1_000

    @Option(help: "Where the recordings are written.")
    var directory = NSTemporaryDirectory()

    mutating func run() async throws {
        var verified = true
        let s2 = MachineScenario.s2RelationsHandlers
        let bare = s2.measure(iterations: iterations, runs: runs)
        // What any tracer costs the machine (transition values, wall clock reads), apart
        // from what the recorder itself adds.
        let traced = s2.measure(iterations: iterations, runs: runs, tracer: NoOpTracer())
        let path = directory + "/amnode-bench-s2-\(getpid()).amrec"
        defer { unlink(path) }
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "amnode", toolVersion: AMNode.version),
                                    configuration: .init(bufferCapacity: 1 << 20))
        let recorded = s2.measure(iterations: iterations, runs: runs, tracer: recorder)
        recorder.close()
        let s2Status = recorder.status
        var line = JSONLine()
        line.add("bench", "recording")
        line.add("name", "S2_overhead")
        line.add("median_ns_per_mutation_bare", bare.medianNanosPerMutation)
        line.add("median_ns_per_mutation_noop_tracer", traced.medianNanosPerMutation)
        line.add("median_ns_per_mutation_recorded", recorded.medianNanosPerMutation)
        line.add("ratio", recorded.medianNanosPerMutation / bare.medianNanosPerMutation, decimals: 2)
        line.add("recorded_transitions", Int(s2Status.transitions))
        line.add("dropped", Int(s2Status.dropped))
        let ok = bare.failure == nil && recorded.failure == nil && s2Status.failure == nil
        line.add("verified", ok)
        print(line.text)
        verified = verified && ok

        let big = directory + "/amnode-bench-big-\(getpid()).amrec"
        defer { unlink(big) }
        verified = try writeBig(big) && verified
        verified = try seekBig(big) && verified
        if !verified { throw ExitCode(1) }
    }

    /// Records `transitions` S2 mutations as fast as the machine makes them; times until
    /// the last byte is written.
    private func writeBig(_ path: String) throws -> Bool {
        let prepared = try MachineScenario.s2RelationsHandlers.prepare()
        let recorder = try Recorder(path: path, header: RecordingHeader(tool: "amnode", toolVersion: AMNode.version),
                                    configuration: .init(bufferCapacity: 1 << 21))
        prepared.machine?.attach(recorder)
        let start = nowNanos()
        var ok = true
        for _ in 0..<(transitions / 2) where !prepared.iterate() { ok = false }
        let produced = nowNanos()
        recorder.close()
        let elapsed = Double(nowNanos() - start) / 1e9
        let status = recorder.status
        var line = JSONLine()
        line.add("bench", "recording")
        line.add("name", "write_throughput")
        line.add("transitions", Int(status.transitions))
        line.add("dropped", Int(status.dropped))
        line.add("seconds", elapsed, decimals: 3)
        line.add("machine_seconds", Double(produced - start) / 1e9, decimals: 3)
        line.add("transitions_per_second", Double(status.transitions) / elapsed, decimals: 0)
        line.add("file_bytes", Int(status.bytes))
        line.add("bytes_per_transition", Double(status.bytes) / Double(max(1, status.transitions)), decimals: 1)
        ok = ok && status.failure == nil && status.dropped == 0
        line.add("verified", ok)
        print(line.text)
        return ok
    }

    /// Opens the big recording and seeks to random transitions and random times.
    private func seekBig(_ path: String) throws -> Bool {
        let openStart = nowNanos()
        let cursor = try ReplayCursor(path: path)
        let openTime = Double(nowNanos() - openStart) / 1e6
        let total = cursor.transitionCount
        let range = cursor.timeRange
        var generator = SystemRandomNumberGenerator()
        var byTransition: [Double] = []
        var byTime: [Double] = []
        var wrong = 0
        for _ in 0..<seeks {
            let target = UInt64.random(in: 0...total, using: &generator)
            let t0 = nowNanos()
            try cursor.seek(toTransition: target)
            byTransition.append(Double(nowNanos() - t0) / 1e6)
            if cursor.position != target { wrong += 1 }
            let when = UInt64.random(in: range, using: &generator)
            let t1 = nowNanos()
            try cursor.seek(toTime: when)
            byTime.append(Double(nowNanos() - t1) / 1e6)
            if cursor.time > when, cursor.position > 0 { wrong += 1 }
        }
        func line(_ name: String, _ values: [Double]) -> String {
            let sorted = values.sorted()
            var l = JSONLine()
            l.add("bench", "recording")
            l.add("name", name)
            l.add("transitions", Int(total))
            l.add("seeks", values.count)
            l.add("median_ms", median(values), decimals: 3)
            l.add("p99_ms", sorted[min(sorted.count - 1, sorted.count * 99 / 100)], decimals: 3)
            l.add("max_ms", sorted.last ?? 0, decimals: 3)
            l.add("open_ms", openTime, decimals: 3)
            l.add("verified", wrong == 0)
            return l.text
        }
        print(line("seek_transition", byTransition))
        print(line("seek_time", byTime))
        return wrong == 0
    }
}

/// A tracer that does nothing: the cost of being traced at all.
private final class NoOpTracer: Tracer {
    func transitionEnd(_ transition: Transition) {}
}
