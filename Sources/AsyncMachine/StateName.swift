/// The name of a state in a machine's schema.
///
/// Schemas extend `StateName` with static members so call sites read `.ready` rather than
/// a string literal, and stay open for users to add their own:
///
/// ```swift
/// extension StateName { static let poolReady: Self = "PoolReady" }
/// machine.add1(.poolReady)
/// ```
public struct StateName: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    ExpressibleByStringLiteral, CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static func < (lhs: StateName, rhs: StateName) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension StateName {
    /// The global error flag, Multi; every `Err*` state requires it.
    public static let exception: StateName = "Exception"
    /// Conventional "the machine is running" state; `dispose()` removes it first.
    public static let start: StateName = "Start"
    /// Conventional "the machine is ready for work" state.
    public static let ready: StateName = "Ready"
    /// Adding only this state does not trigger auto states.
    public static let healthcheck: StateName = "Healthcheck"
    /// Adding only this state does not trigger auto states.
    public static let heartbeat: StateName = "Heartbeat"
    /// Conventional graceful-shutdown state.
    public static let disposing: StateName = "Disposing"
    /// Conventional "shutdown finished" state.
    public static let disposed: StateName = "Disposed"
}
