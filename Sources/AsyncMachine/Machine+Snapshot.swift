/// A machine's clock at one moment: enough to restore it elsewhere (`import`).
public struct MachineSnapshot: Sendable, Equatable, Codable {
    public var id: String
    public var stateNames: [StateName]
    public var ticks: [UInt64]
    /// The queue tick of the last mutation that finished.
    public var queueTick: UInt64

    public init(id: String, stateNames: [StateName], ticks: [UInt64], queueTick: UInt64) {
        self.id = id
        self.stateNames = stateNames
        self.ticks = ticks
        self.queueTick = queueTick
    }
}

/// Why ``Machine/import(_:)`` refused a snapshot.
public enum ImportError: Error, Equatable, Sendable, CustomStringConvertible {
    case differentMachine(expected: String, got: String)
    case differentStates
    case busy
    case disposed

    public var description: String {
        switch self {
        case .differentMachine(let expected, let got): "import refused: snapshot of \(got), this is \(expected)"
        case .differentStates: "import refused: the snapshot's states differ from this machine's"
        case .busy: "import refused: a transition is running"
        case .disposed: "import refused: the machine is disposed"
        }
    }
}

extension Machine {
    /// The current clock and queue tick.
    public func export() -> MachineSnapshot {
        shared.withLock { s in
            MachineSnapshot(id: id, stateNames: s.compiled.names, ticks: s.ticks, queueTick: s.processedTick)
        }
    }

    /// Restores a snapshot of this machine (same id, same states in the same order):
    /// ticks, the active states they imply, and the queue tick. No handler runs; waiters
    /// are re-checked.
    public func `import`(_ snapshot: MachineSnapshot) throws(ImportError) {
        let (satisfied, ended) = try shared.withLock { s throws(ImportError) -> ([Waiter], [StateContext]) in
            guard !s.isDisposed else { throw .disposed }
            guard snapshot.id == id else { throw .differentMachine(expected: id, got: snapshot.id) }
            guard snapshot.stateNames == s.compiled.names, snapshot.ticks.count == s.ticks.count else {
                throw .differentStates
            }
            guard !s.draining else { throw .busy }
            // Not draining and holding the lock: no drainer can touch DrainState.
            s.ticks = snapshot.ticks
            s.queueTick = snapshot.queueTick
            s.processedTick = snapshot.queueTick
            drain.ticks = snapshot.ticks
            drain.active = StateSet(snapshot.ticks.indices.filter { snapshot.ticks[$0] & 1 == 1 })
            let ended = Array(s.contexts.values)
            s.contexts = [:]
            return (s.takeSatisfiedWaiters(), ended)
        }
        for ctx in ended { ctx.cancel() }
        for waiter in satisfied { waiter.continuation.resume() }
    }
}

/// True for an odd tick: the state is active.
public func isActiveTick(_ tick: UInt64) -> Bool { tick & 1 == 1 }
