import ArgumentParser
import AsyncMachine
import AsyncMachineNode
import AsyncMachineRecording
import Foundation
import PoolTop

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Show a recorded pool at any moment of its history, or export the recording as JSON lines.",
        discussion: """
            Reads a file written by `amnode supervisor --record` (or pooltop --record). Without \
            --at or --tx it shows the end. TIME is an ISO 8601 wall time \
            (2026-11-29T03:12:07.250Z), a local time of day on the first day (03:12:07), +DURATION \
            from the start or -DURATION from the end (+90s, -500ms, +2m), or txN. A recording cut by a crash is read up to the last complete \
            record, and the cut is reported on stderr.
            """)

    @Argument(help: ArgumentHelp("The recording.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Show the pool at this time.", valueName: "time"))
    var at: String?

    @Option(help: ArgumentHelp("Show the pool after this many transitions (0: before the first).", valueName: "n"))
    var tx: UInt64?

    @Flag(help: "Print the position as JSON: the snapshot and the last events.")
    var json = false

    @Option(help: ArgumentHelp("Write every record to stdout in this format instead (only json: one JSON object per line).", valueName: "format"))
    var export: String?

    @Option(help: "Events to show before the position.")
    var events = 15

    func validate() throws {
        if at != nil && tx != nil { throw ValidationError("give --at or --tx, not both") }
        if let export, export != "json" { throw ValidationError("--export supports json only") }
    }

    func run() throws {
        let reader = try RecordingReader(path: file)
        if export != nil {
            let damage = try RecordingExport.writeJSONLines(reader) { print($0) }
            for d in damage { FileHandle.standardError.write(Data("amnode replay: \(d)\n".utf8)) }
            return
        }
        let cursor = try ReplayCursor(reader: reader)
        if let tx {
            try cursor.seek(toTransition: tx)
        } else if let at {
            guard let target = ReplayTarget.parse(at, in: cursor.timeRange, utcOffsetSeconds: TimeZone.current.secondsFromGMT()) else {
                throw ValidationError("cannot read --at \(at): give \(ReplayTarget.examples)")
            }
            try cursor.seek(to: target)
        } else {
            try cursor.last()
        }
        let recent = try cursor.events(limit: events)
        for d in cursor.damage { FileHandle.standardError.write(Data("amnode replay: \(d)\n".utf8)) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let position = ReplayPosition(transition: cursor.position, transitions: cursor.transitionCount, time: cursor.time,
                                          snapshot: cursor.snapshot, events: recent)
            print(String(decoding: try encoder.encode(position), as: UTF8.self))
            return
        }
        let h = reader.header
        print("recording \(file): \(h.tool) \(h.toolVersion), format \(h.formatVersion), started \(Self.format(h.startedAt))")
        print("at transition \(cursor.position) of \(cursor.transitionCount), \(Self.format(cursor.time))")
        print("")
        if let snapshot = cursor.snapshot {
            print(StatusTable.render(snapshot))
        } else {
            print("(no pool keyframe before this point)")
        }
        if !recent.isEmpty {
            print("")
            print("last \(recent.count) events:")
            for e in recent { print("  \(Self.format(e.time)) \(e.logLine)") }
        }
    }

    static func format(_ nanoseconds: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(nanoseconds) / 1e9))
    }
}

/// What `amnode replay --json` prints.
struct ReplayPosition: Encodable {
    var transition: UInt64
    var transitions: UInt64
    var time: UInt64
    var snapshot: PoolSnapshot?
    var events: [PoolEvent]
}
