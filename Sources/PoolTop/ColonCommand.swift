import AsyncMachineRecording
/// A command typed on the `:` line, parsed and checked, before the model runs it.
///
/// ```
/// :fork 3            :kill w3 w4        :kill! w3 (force)    :provide c-3
/// :set min 3         :set max 10 warm 2 :drain w3            :heartbeat
/// :goto tx120        :goto 12:00:05.250 :record pool.amrec   :filter state=busy
/// :help              :quit
/// ```
public enum ColonCommand: Sendable, Equatable {
    case fork(count: Int)
    case kill(ids: [String], force: Bool)
    case provide(client: String)
    /// `nil` leaves a size as it is.
    case setPool(min: Int?, max: Int?, warm: Int?)
    case drain(id: String)
    case heartbeat
    case goto(String)
    case record(path: String)
    case filter(String)
    case help
    case quit

    /// The most workers one `:fork` asks for; more is almost surely a typo.
    public static let maxForkCount = 1_000

    /// Every command name, for completion and error messages.
    public static let names = ["fork", "kill", "kill!", "provide", "set", "drain", "heartbeat", "goto", "record", "filter", "help", "quit"]

    /// Parses one line (with or without the leading `:`).
    public static func parse(_ line: String) throws(CommandLineError) -> ColonCommand {
        var text = Substring(line).drop { $0 == " " }
        if text.hasPrefix(":") { text = text.dropFirst() }
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let name = words.first else { throw CommandLineError("type a command, as in :fork 3 (:help lists them)") }
        let args = Array(words.dropFirst())
        // The rest of the line as typed, for arguments that may contain spaces (paths, filters).
        let rest = String(text.drop { $0 == " " }.dropFirst(name.count)).trimmingSpaces
        func noArgs(_ command: ColonCommand) throws(CommandLineError) -> ColonCommand {
            guard args.isEmpty else { throw CommandLineError("\(name) takes no arguments") }
            return command
        }
        switch name.lowercased() {
        case "fork":
            guard args.count <= 1 else { throw CommandLineError("fork takes one count, as in :fork 3") }
            guard let word = args.first else { return .fork(count: 1) }
            guard let count = Int(word) else { throw CommandLineError("fork: '\(word)' is not a number") }
            guard (1...maxForkCount).contains(count) else { throw CommandLineError("fork: the count must be 1 to \(maxForkCount)") }
            return .fork(count: count)
        case "kill", "kill!":
            guard !args.isEmpty else { throw CommandLineError("\(name): name at least one worker id, as in :\(name) w3") }
            var seen = Set<String>()
            return .kill(ids: args.filter { seen.insert($0).inserted }, force: name.hasSuffix("!"))
        case "provide":
            guard args.count == 1 else { throw CommandLineError("provide: name one client id, as in :provide c-3") }
            return .provide(client: args[0])
        case "set":
            return try parseSet(args)
        case "drain":
            guard args.count == 1 else { throw CommandLineError("drain: name one worker id, as in :drain w3") }
            return .drain(id: args[0])
        case "heartbeat":
            return try noArgs(.heartbeat)
        case "goto":
            guard args.count == 1 else { throw CommandLineError("goto: give one place, as in \(ReplayTarget.examples)") }
            guard isGotoTarget(args[0]) else {
                throw CommandLineError("goto: '\(args[0])' is not a place in the recording: give \(ReplayTarget.examples)")
            }
            return .goto(args[0])
        case "record":
            guard !rest.isEmpty else { throw CommandLineError("record: name a file, as in :record pool.amrec") }
            return .record(path: rest)
        case "filter":
            return .filter(rest)
        case "help", "h":
            return try noArgs(.help)
        case "quit", "q":
            return try noArgs(.quit)
        default:
            throw CommandLineError("unknown command :\(name) (commands: \(names.joined(separator: " ")))")
        }
    }

    /// `:set min 3`, `:set max 10 warm 2`, `:set min=3`.
    private static func parseSet(_ args: [String]) throws(CommandLineError) -> ColonCommand {
        var words = args.flatMap { $0.split(separator: "=", omittingEmptySubsequences: true).map(String.init) }
        guard !words.isEmpty else { throw CommandLineError("set: name a size and a value, as in :set min 3") }
        var sizes: [String: Int] = [:]
        while !words.isEmpty {
            let key = words.removeFirst().lowercased()
            guard ["min", "max", "warm"].contains(key) else {
                throw CommandLineError("set: unknown size '\(key)' (min, max, warm)")
            }
            guard !words.isEmpty else { throw CommandLineError("set \(key): give a value, as in :set \(key) 3") }
            let word = words.removeFirst()
            guard let value = Int(word), value >= 0 else { throw CommandLineError("set \(key): '\(word)' is not a count (0 or more)") }
            sizes[key] = value
        }
        if let min = sizes["min"], let max = sizes["max"], min > max {
            throw CommandLineError("set: min \(min) is above max \(max)")
        }
        return .setPool(min: sizes["min"], max: sizes["max"], warm: sizes["warm"])
    }

    /// `tx120`, `120`, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.mmm`.
    /// Whether `word` is a place in a recording (the grammar `amnode replay --at` reads).
    static func isGotoTarget(_ word: String) -> Bool { ReplayTarget.parse(word, in: 0...0) != nil }
}

/// Why a `:` line was not understood, in words for the status line.
public struct CommandLineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message, phrased for the status line.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Character {
    var isASCIINumber: Bool { isASCII && isNumber }
}
