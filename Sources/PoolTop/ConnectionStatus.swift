/// The state of the link between the dashboard and its pool.
public enum ConnectionStatus: Sendable, Equatable {
    /// Waiting for the first snapshot (attaching, or reconnecting after a loss).
    case connecting
    /// Snapshots arrive as expected.
    case live
    /// Nothing arrived for too long; `since` is the wall time (ns since the epoch, this
    /// machine's clock) of the last message, so the header can say how long ago that was.
    case stale(since: UInt64)
}
