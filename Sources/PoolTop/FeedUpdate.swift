import AsyncMachineNode

/// Something a feed tells the dashboard. The embedded, attached and replay feeds all speak
/// in these, so the model cannot tell them apart (DESIGN.md §8: a feed is the only difference).
public enum FeedUpdate: Sendable, Equatable {
    /// The pool as it is now (or at the replay cursor).
    case snapshot(PoolSnapshot)
    /// Events that happened since the last update, oldest first; appended to the log.
    case events([PoolEvent])
    /// The whole event log, replacing what the model had. A replay cursor sends this after
    /// a seek, because appending would interleave two different points in time.
    case eventLog([PoolEvent])
    /// The link to the pool changed (attached feeds go stale when snapshots stop coming).
    case connection(ConnectionStatus)
    /// Where a replay is, supplied by the replay feed after every move.
    case replayStatus(ReplayStatus)
    /// Something the feed wants the operator to read in the status line (a replay jump
    /// that found nothing, a place it could not read).
    case status(StatusMessage)
}
