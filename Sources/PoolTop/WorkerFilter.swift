import AsyncMachineNode

/// The `/` filter: space-separated terms that must all match.
///
/// - free text matches, case-insensitively, a worker's id, pid, state, client, last error
///   or active states (and, in the log, the event's line);
/// - `state=busy` (also `initing`, `rpc`, `ready`, `idle`, `killing`, `gone`),
///   `client=c-3`, `id=w3`, `pid=4411`;
/// - `err>0`, `err>=2`, `err<3`, `err<=1`, `err=0` compare the worker's error count;
/// - `!` before a term inverts it (`!state=idle`, `!heartbeat`).
public struct WorkerFilter: Sendable, Equatable {
    /// One condition of the filter.
    public enum Condition: Sendable, Equatable {
        case text(String)
        case state(String)
        case client(String)
        case id(String)
        case pid(String)
        case errors(Comparison, Int)
    }

    /// How `err` compares a worker's error count.
    public enum Comparison: String, Sendable, Equatable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<=", equal = "="

        func holds(_ lhs: Int, _ rhs: Int) -> Bool {
            switch self {
            case .greater: lhs > rhs
            case .greaterOrEqual: lhs >= rhs
            case .less: lhs < rhs
            case .lessOrEqual: lhs <= rhs
            case .equal: lhs == rhs
            }
        }
    }

    /// A condition, maybe inverted with `!`.
    public struct Term: Sendable, Equatable {
        /// What is checked.
        public var condition: Condition
        /// True when the term was written with `!`: it holds when the condition does not.
        public var inverted: Bool
    }

    /// The text as typed.
    public private(set) var text: String
    /// The terms understood, all of which must hold.
    public private(set) var terms: [Term]
    /// What was wrong with the text, if anything; the bad terms are left out, so a filter
    /// being typed keeps working while it is incomplete.
    public private(set) var error: String?

    /// The empty filter, which matches everything.
    public static let none = WorkerFilter("")

    /// The states `state=` accepts: the worker states, plus the two list groups that are
    /// not states of their own.
    static let stateWords: [String] = {
        var words = WorkerState.allCases.map(\.rawValue)
        for extra in ["killing", "gone"] where !words.contains(extra) { words.append(extra) }
        return words
    }()

    public init(_ text: String) {
        self.text = text
        var terms: [Term] = []
        var errors: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            var word = Substring(word)
            let inverted = word.hasPrefix("!")
            if inverted { word = word.dropFirst() }
            if word.isEmpty { continue }
            switch Self.condition(String(word)) {
            case .success(let condition): terms.append(Term(condition: condition, inverted: inverted))
            case .failure(let message): errors.append(message.text)
            }
        }
        self.terms = terms
        self.error = errors.isEmpty ? nil : errors.joined(separator: "; ")
    }

    /// True when the filter lets everything through.
    public var isEmpty: Bool { terms.isEmpty }

    private struct Message: Error { var text: String }

    private static func condition(_ word: String) -> Result<Condition, Message> {
        let lower = word.lowercased()
        for (prefix, make) in [("state=", Condition.state), ("client=", Condition.client), ("id=", Condition.id), ("pid=", Condition.pid)] {
            guard lower.hasPrefix(prefix) else { continue }
            let value = String(word.dropFirst(prefix.count))
            if prefix == "state=" {
                let state = value.lowercased() == "working" ? "busy" : value.lowercased()
                guard stateWords.contains(state) else {
                    return .failure(Message(text: "unknown state '\(value)' (\(stateWords.joined(separator: ", ")))"))
                }
                return .success(.state(state))
            }
            return .success(make(value))
        }
        if lower.hasPrefix("err") || lower.hasPrefix("errors") {
            let rest = lower.hasPrefix("errors") ? lower.dropFirst(6) : lower.dropFirst(3)
            // Longest operators first, so ">=" is not read as ">" followed by "=1".
            for comparison in [Comparison.greaterOrEqual, .lessOrEqual, .greater, .less, .equal] where rest.hasPrefix(comparison.rawValue) {
                let number = rest.dropFirst(comparison.rawValue.count)
                guard let value = Int(number) else {
                    return .failure(Message(text: "err\(comparison.rawValue) needs a number, as in err>0"))
                }
                return .success(.errors(comparison, value))
            }
        }
        return .success(.text(lower))
    }

    /// True when the worker passes every term. `group` tells `state=killing` and
    /// `state=gone` apart from the worker's last state.
    public func matches(_ worker: PoolSnapshot.Worker, group: WorkerGroup) -> Bool {
        terms.allSatisfy { term in term.inverted != Self.holds(term.condition, worker, group) }
    }

    /// True when the event passes: field terms look at the event's worker (events of no
    /// known worker fail them), text terms at the line the log shows for it.
    func matches(event: PoolEvent, line: @autoclosure () -> String, worker: (String) -> (PoolSnapshot.Worker, WorkerGroup)?) -> Bool {
        var lowered: String?
        for term in terms {
            let holds: Bool
            if case .text(let needle) = term.condition {
                if lowered == nil { lowered = line().lowercased() }
                holds = lowered?.contains(needle) ?? false
            } else if let id = event.subjectWorker, let (w, group) = worker(id) {
                holds = Self.holds(term.condition, w, group)
            } else {
                holds = false
            }
            if holds == term.inverted { return false }
        }
        return true
    }

    private static func holds(_ condition: Condition, _ w: PoolSnapshot.Worker, _ group: WorkerGroup) -> Bool {
        switch condition {
        case .text(let needle):
            if w.id.lowercased().contains(needle) || w.state.rawValue.contains(needle) { return true }
            if let pid = w.pid, String(pid).contains(needle) { return true }
            if let client = w.client, client.lowercased().contains(needle) { return true }
            if let error = w.lastError, error.lowercased().contains(needle) { return true }
            return w.activeStates.contains { $0.lowercased().contains(needle) }
        case .state(let state):
            switch state {
            case "killing": return group == .killing || (group != .gone && w.state.rawValue == "killing")
            case "gone": return group == .gone
            default: return group != .gone && w.state.rawValue == state
            }
        case .client(let client): return (w.client ?? "") == client
        case .id(let id): return w.id == id
        case .pid(let pid): return w.pid.map(String.init) == pid
        case .errors(let comparison, let value): return comparison.holds(w.errors, value)
        }
    }
}
