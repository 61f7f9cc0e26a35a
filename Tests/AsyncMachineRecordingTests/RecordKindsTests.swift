import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import Testing

/// Every kind of record goes into the file and comes back out exactly as it went in.
@Suite struct RecordKindsTests {
    static let schema: Schema = try! Schema.basic.merging([
        "Alpha": StateSpec(),
        "Beta": StateSpec(require: ["Alpha"]),
        "Gamma": StateSpec(require: ["Beta"], auto: true),
        "Tick": StateSpec(multi: true),
        "Guarded": StateSpec(),
        "Delta": StateSpec(remove: ["Tick"]),
    ])

    /// One arg of every `ArgValue` kind, nested ones included.
    static let everyArg: Args = [
        "string": "text with ünïcødé and \"quotes\"",
        "empty": "",
        "int": .int(-42),
        "intMax": .int(Int.max),
        "intMin": .int(Int.min),
        "double": .double(3.25),
        "doubleTiny": .double(-1e-300),
        "infinity": .double(.infinity),
        "true": true,
        "false": false,
        "bytes": .bytes([0, 255, 0xA7, 0x3C, 0x89]),
        "noBytes": .bytes([]),
        "list": [1, "two", nil, [true]],
        "map": ["inner": ["deep": .bytes([1, 2, 3])], "n": 7],
        "null": nil,
    ]

    struct Written {
        let dir: TempDir
        let path: String
        let header: RecordingHeader
        let live: [TransitionRecord]
        let machine: Machine
        let worker: Machine
        let snapshot: PoolSnapshot
        let action: OperatorAction
        let error: RecordedError
    }

    /// A recording of real machine transitions of every sort, plus one record of every other kind.
    static func write() throws -> Written {
        let dir = TempDir("kinds")
        let path = dir.file("kinds.amrec")
        let snapshot = Snapshots.pool(seq: 7, takenAt: nowNanoseconds(), workers: [
            Snapshots.worker("w7", state: .idle, activeStates: ["Start", "Ready"], client: "nc-worker-c1"),
            Snapshots.worker("w8", state: .busy, errors: 2),
        ], clients: ["nc-super-c1"])
        let header = RecordingHeader(tool: "tests", toolVersion: "9.9.9", host: "host-1", pid: 4242, supervisor: "demo-1",
                                     kind: "demo", pool: snapshot.pool, workerCommand: ["amnode", "worker", "--latency", "5"])
        let recorder = try Recorder(path: path, header: header, configuration: .init(checkpointInterval: 5))
        let live = LiveTracer()
        let machine = Machine(schema, id: "m-kinds", configuration: .init(parentId: "parent-1", tags: ["alpha", "kind:test"]))
        _ = machine.onEnter("Guarded") { _ in false }
        recorder.record(machine, role: .other)
        machine.attach(live)
        let worker = Machine(.basic, id: "rnm-w7")
        recorder.record(worker, role: .worker("w7"))
        worker.attach(live)

        #expect(machine.add1("Alpha", everyArg) == .executed)
        #expect(machine.add1("Beta", ["why": "auto Gamma follows"]) == .executed)  // Gamma comes as an auto transition
        #expect(machine.is(["Alpha", "Beta", "Gamma"]))
        for n in 0..<3 { #expect(machine.add1("Tick", ["n": .int(n)]) == .executed) }  // Multi: re-activated
        #expect(machine.add1("Guarded") == .canceled)  // vetoed by its Enter handler
        recorder.recordSnapshot(snapshot)
        #expect(machine.add(["Delta", "Start"]) == .executed)  // two states at once, Delta removes Tick
        #expect(machine.set(["Alpha", "Tick"], ["mode": "set"]) == .executed)
        #expect(machine.remove1("Alpha") == .executed)  // Beta and Gamma were already dropped by set
        #expect(machine.add1("Beta") == .canceled)  // requires Alpha: refused by the relations
        let action = OperatorAction(name: .setPool, min: 1, max: 4, warm: 2, ok: true, result: "min 1 max 4 warm 2",
                                    latencyMicroseconds: 12, origin: "test")
        recorder.recordAction(action)
        _ = machine.canAdd1("Alpha")  // a check
        #expect(worker.add1(.start) == .executed)
        machine.addErr(DemoError(text: "disk on fire"), ["worker": "w7"])  // Exception: an error record follows it
        let error = RecordedError(message: "healthcheck failed", worker: "w8", machine: "rnm-w8", source: "pool")
        recorder.recordError(error)
        // The schema grows: a new machine record, and later transitions use the longer clock.
        try machine.setSchema(try schema.merging(["Epsilon": StateSpec(multi: true)]))
        #expect(machine.add(["Epsilon", "Alpha"], ["after": "growth"]) == .executed)
        #expect(machine.remove(["Exception", "Epsilon"]) == .executed)
        recorder.close()
        #expect(recorder.status.closed && recorder.status.failure == nil && recorder.status.dropped == 0)
        return Written(dir: dir, path: path, header: header, live: live.all, machine: machine, worker: worker, snapshot: snapshot,
                       action: action, error: error)
    }

    @Test func everyRecordKindReadsBackAsWritten() throws {
        let w = try Self.write()
        let reader = try RecordingReader(path: w.path)
        #expect(reader.header == w.header)
        let (records, damage) = reader.records()
        #expect(damage.isEmpty, "\(damage)")
        let kinds = Set(records.compactMap(\.frame.kind))
        #expect(kinds == Set(RecordKind.allCases), "missing kinds: \(Set(RecordKind.allCases).subtracting(kinds))")
        #expect(records.first?.body == .header(w.header))
        #expect(records.first?.frame.kind == .header && records.last?.frame.kind == .end)

        // Transitions: exactly what a second tracer on the same machines saw, every field.
        let decoded = records.compactMap(\.body.transition)
        #expect(decoded.count == w.live.count)
        for (got, want) in zip(decoded, w.live) {
            #expect(got == want, "transition \(want.id) of \(want.machineId)")
        }
        #expect(decoded.first?.args == Self.everyArg)
        #expect(w.live.contains { $0.isAuto && $0.entered == ["Gamma"] }, "an auto transition was recorded")
        #expect(w.live.contains { $0.result == "canceled" && $0.called == ["Guarded"] && !$0.accepted })
        #expect(w.live.contains { $0.type == .set } && w.live.contains { $0.type == .remove })
        #expect(w.live.contains { $0.isCheck })
        #expect(w.live.contains { $0.called == ["Epsilon", "Alpha"] && $0.timeAfter.count == Self.schema.count + 1 })
        // Multi: each Tick re-activation is an enter, and its tick goes up by 2.
        let ticks = w.live.filter { $0.called == ["Tick"] }
        #expect(ticks.count == 3 && ticks.allSatisfy { $0.entered == ["Tick"] })

        // Machines: handle, role, parent, tags, state order and relations.
        let machines = records.compactMap(\.body.machine)
        let first = try #require(machines.first { $0.id == "m-kinds" })
        #expect(first.handle == 0 && first.role == "machine" && first.worker == nil && first.machineRole == .other)
        #expect(first.parent == "parent-1" && first.tags == ["alpha", "kind:test"])
        #expect(first.states == Self.schema.names && first.schema == Self.schema)
        let grown = try #require(machines.last { $0.id == "m-kinds" })
        #expect(grown.handle == 0 && grown.states == w.machine.stateNames && grown.schema == w.machine.schema)
        #expect(grown.states.last == "Epsilon")
        let worker = try #require(machines.first { $0.id == "rnm-w7" })
        #expect(worker.handle == 1 && worker.role == "worker" && worker.worker == "w7" && worker.machineRole == .worker("w7"))
        #expect(worker.schema == Schema.basic)

        // Snapshot, action and errors as handed over.
        #expect(records.compactMap(\.body.snapshot) == [w.snapshot])
        #expect(records.compactMap(\.body.action) == [w.action])
        let errors = records.compactMap(\.body.error)
        #expect(errors.contains(w.error))
        let raised = try #require(errors.first { $0.source == "pool" && $0.machine == "m-kinds" })
        #expect(raised.message == "disk on fire" && raised.worker == "w7", "\(raised)")
        // The pool error record follows the transition that raised it, with the same count.
        let raisedIndex = try #require(records.firstIndex { $0.body.error == raised })
        #expect(records[raisedIndex - 1].body.transition?.entered.contains(.exception) == true)
        #expect(records[raisedIndex - 1].frame.transitionCount == records[raisedIndex].frame.transitionCount)

        // Checkpoints: one at the start and one after every 5 transitions, each the state so far.
        let checkpoints = records.filter { $0.frame.kind == .checkpoint }
        #expect(checkpoints.count == 1 + w.live.count / 5)
        for entry in checkpoints {
            guard case .checkpoint(let c) = entry.body else { continue }
            let before = records.filter { $0.frame.offset < entry.frame.offset }
            #expect(c.transitions == UInt64(before.compactMap(\.body.transition).count))
            #expect(c.transitions == entry.frame.transitionCount)
            #expect(c.snapshot == nil || c.snapshot?.seq == w.snapshot.seq)
            #expect(Set(c.machines.map(\.id)) == Set(before.compactMap(\.body.machine).map(\.id)))
        }
        // Frames: times never decrease, counts are the transitions so far.
        var count: UInt64 = 0
        for (previous, entry) in zip(records, records.dropFirst()) {
            #expect(entry.frame.time >= previous.frame.time)
            #expect(entry.frame.offset == previous.frame.endOffset, "frames are contiguous")
        }
        for entry in records {
            if entry.frame.kind == .transition { count += 1 }
            #expect(entry.frame.transitionCount == count)
        }

        // The end record sums it up.
        let end = try #require(records.last?.body.end)
        #expect(end.transitions == UInt64(w.live.count) && end.records == UInt64(records.count))
        #expect(end.dropped == 0 && end.failure == nil)
    }

    @Test func jsonExportIsOneObjectPerRecordInOrder() throws {
        let w = try Self.write()
        let reader = try RecordingReader(path: w.path)
        let (records, _) = reader.records()
        var lines: [String] = []
        let damage = try RecordingExport.writeJSONLines(reader) { lines.append($0) }
        #expect(damage.isEmpty)
        #expect(lines.count == records.count)
        let objects = try lines.map { line -> [String: Any] in
            #expect(!line.contains("\n"), "one record per line")
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["kind"] as? String } == records.map { $0.frame.kind?.description })
        #expect(objects.map { ($0["offset"] as? NSNumber)?.uint64Value } == records.map(\.frame.offset))
        #expect(objects.map { ($0["transitions"] as? NSNumber)?.uint64Value } == records.map(\.frame.transitionCount))
        #expect(objects.allSatisfy { $0["record"] is [String: Any] && $0["time"] is NSNumber })
        let header = try #require(objects.first?["record"] as? [String: Any])
        #expect(header["tool"] as? String == "tests" && (header["formatVersion"] as? NSNumber)?.intValue == 1)
        // Transitions name their machine and, for worker mirrors, the worker.
        let transitions = objects.filter { $0["kind"] as? String == "transition" }
        #expect(transitions.count == w.live.count)
        let workerLines = transitions.filter { $0["worker"] as? String == "w7" }
        #expect(workerLines.count == w.live.filter { $0.machineId == "rnm-w7" }.count && !workerLines.isEmpty)
        let firstRecord = try #require(transitions.first?["record"] as? [String: Any])
        // Every arg kind is exported; JSON has no infinity, so it is spelled out.
        let args = try #require(firstRecord["args"] as? [String: Any])
        #expect(Set(args.keys) == Set(Self.everyArg.keys))
        #expect(args["infinity"] as? String == "Infinity" && (args["double"] as? NSNumber)?.doubleValue == 3.25)
        #expect((args["intMin"] as? NSNumber)?.int64Value == Int64.min && args["null"] is NSNull)
        #expect(firstRecord["machineId"] as? String == "m-kinds" && (transitions.first?["machine"] as? NSNumber)?.intValue == 0)
        let action = try #require(objects.first { $0["kind"] as? String == "action" }?["record"] as? [String: Any])
        #expect(action["name"] as? String == "setPool" && action["ok"] as? Bool == true)
        let end = try #require(objects.last?["record"] as? [String: Any])
        #expect((end["transitions"] as? NSNumber)?.intValue == w.live.count)
    }
}
