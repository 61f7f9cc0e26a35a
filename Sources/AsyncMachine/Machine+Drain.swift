#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the drainer needs for one mutation, snapshotted under the lock.
typealias DrainEnv = Registry

@inline(__always)
func currentThread() -> pthread_t { pthread_self() }

@inline(__always)
func isCurrentThread(_ thread: pthread_t) -> Bool { pthread_equal(thread, pthread_self()) != 0 }

extension Machine {
    /// Processes queued work until the queue is empty, then releases the drain. The
    /// caller must hold the drain. Waiters are re-checked after every processed item,
    /// cancelled transitions included.
    /// `finished` is the queue tick of the mutation the caller just processed (0 for none).
    func drainQueue(finished: UInt64 = 0) {
        var finished = finished
        while true {
            var satisfied: [Waiter] = []
            var registry: Registry? = nil
            var disposing = false
            let next = shared.withLock { s -> Mutation? in
                if finished > s.processedTick { s.processedTick = finished }
                if !s.waiters.isEmpty { satisfied = s.takeSatisfiedWaiters() }
                // Args waiters see only the transition that just ran.
                if !s.lastEntered.isEmpty { s.lastEntered = StateSet() }
                registry = s.registry
                guard let item = s.queue.popFirst() else {
                    s.draining = false
                    s.drainer = nil
                    disposing = s.lifecycle == .disposeRequested
                    return nil
                }
                if item.queueTick != 0 {
                    s.queueTick += 1
                    s.appendedInQueue -= 1
                }
                finished = item.queueTick
                return item
            }
            for waiter in satisfied { waiter.continuation.resume() }
            guard let registry else { return }
            guard let next else {
                for tracer in registry.tracers { tracer.queueEnd(self) }
                if disposing { completeDisposal() }
                return
            }
            switch next.job {
            case .eval(let job)?:
                job.body()
                job.done?.resume(returning: true)
            case .clock(let ticks, let queueTick)?:
                runRemoteClock(ticks, queueTick: queueTick, registry)
            case nil:
                _ = runTransition(next, registry)
            }
        }
    }

    /// Puts a machine-made mutation (auto, exception) at the front of the queue.
    func prepend(_ mutation: Mutation, tracers: [any Tracer]) {
        shared.withLock { $0.queue.prepend(mutation) }
        for tracer in tracers { tracer.mutationQueued(self, mutation) }
    }
}

