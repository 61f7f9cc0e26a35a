/// How the dashboard got its pool. Chosen at start and fixed for the session.
public enum DashboardMode: Sendable, Equatable {
    /// The dashboard runs the supervisor in its own process: quitting stops the pool, so
    /// `q` asks first.
    case embedded
    /// Connected to a supervisor's operator endpoint at `address` (`host:port`).
    case attached(address: String)
    /// Playing back a recording; the pool cannot be changed.
    case replay

    /// True for the two modes that watch a running pool.
    public var isLive: Bool { self != .replay }
}
