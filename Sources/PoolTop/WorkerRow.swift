import AsyncMachineNode

/// One worker as the list shows it: its last known snapshot row, the list group it is in
/// and when the dashboard first saw it in its current state.
public struct WorkerRow: Sendable, Equatable {
    /// The worker's row of the last snapshot that had it.
    public var worker: PoolSnapshot.Worker
    /// The list section it is in.
    public var group: WorkerGroup
    /// Pool wall time (ns) when the worker was first seen in its current state.
    public var stateSince: UInt64
    /// Pool wall time (ns) of the first snapshot without the worker, for gone workers.
    public var goneAt: UInt64?

    /// The supervisor's id of the worker.
    public var id: String { worker.id }
}
