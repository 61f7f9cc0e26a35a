import AsyncMachine

/// One line of a pool's event log: a transition of the supervisor or of a worker, an
/// operator action with its result, or an error. The live feeds and a replayed recording
/// yield the same events, so a dashboard shows both alike.
public struct PoolEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case transition, action, error
    }

    public var kind: Kind
    /// Wall clock, nanoseconds since the Unix epoch.
    public var time: UInt64
    /// The supervisor's id of the worker this is about (`nil` for the supervisor itself).
    public var worker: String?
    public var transition: TransitionRecord?
    public var action: OperatorAction?
    /// The error's text, for `.error`.
    public var error: String?

    public init(kind: Kind, time: UInt64, worker: String? = nil, transition: TransitionRecord? = nil,
                action: OperatorAction? = nil, error: String? = nil) {
        self.kind = kind
        self.time = time
        self.worker = worker
        self.transition = transition
        self.action = action
        self.error = error
    }

    public static func transition(_ record: TransitionRecord, worker: String?) -> PoolEvent {
        PoolEvent(kind: .transition, time: record.endedAt, worker: worker, transition: record)
    }

    /// An operator action at `time`, about the worker it targeted (a provide targets a client).
    public static func action(_ action: OperatorAction, at time: UInt64) -> PoolEvent {
        PoolEvent(kind: .action, time: time, worker: action.name == .provide ? nil : action.target, action: action)
    }
}

/// An action an operator took on a pool, and what came of it.
public struct OperatorAction: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable, CaseIterable {
        case fork, kill, forceKill, provide, setPool, drain, heartbeat
        /// Recording started (a dashboard's `:record`).
        case record
    }

    public var name: Name
    /// The worker id (kill, drain) or client name (provide) it was aimed at.
    public var target: String?
    /// Workers to fork, or the pool sizes for `setPool`.
    public var count: Int?
    public var min: Int?
    public var max: Int?
    public var warm: Int?
    /// True when the pool took the action; otherwise `result` says why not.
    public var ok: Bool
    public var result: String
    public var latencyMicroseconds: Int?
    /// Who took it: "dashboard", "operator <client id>", ...
    public var origin: String

    public init(name: Name, target: String? = nil, count: Int? = nil, min: Int? = nil, max: Int? = nil, warm: Int? = nil,
                ok: Bool, result: String, latencyMicroseconds: Int? = nil, origin: String) {
        self.name = name
        self.target = target
        self.count = count
        self.min = min
        self.max = max
        self.warm = warm
        self.ok = ok
        self.result = result
        self.latencyMicroseconds = latencyMicroseconds
        self.origin = origin
    }
}

extension PoolEvent {
    /// The events a finished transition stands for: the transition itself, and an error
    /// when it activated Exception (with the error text from its `err` arg). Live feeds and
    /// recordings both derive events through here, so they always agree.
    public static func events(for record: TransitionRecord, worker: String?) -> [PoolEvent] {
        var events = [PoolEvent.transition(record, worker: worker)]
        if record.accepted, record.entered.contains(.exception) {
            let about = (try? record.args.optionalString("worker")).flatMap { $0 } ?? worker
            // The error states it raised (a mirror's clock update also carries unrelated
            // changes), and the error's text when the transition had it (mirrors do not).
            let states = record.entered.filter { $0 != .exception && $0.rawValue.hasPrefix("Err") }.map(\.rawValue)
            let text = (try? record.args.optionalString("err")).flatMap { $0 }
            let named = states.isEmpty ? nil : states.joined(separator: " ")
            let message = [named, text].compactMap { $0 }.joined(separator: ": ")
            events.append(PoolEvent(kind: .error, time: record.endedAt, worker: about, error: message.isEmpty ? "Exception" : message))
        }
        return events
    }
}
