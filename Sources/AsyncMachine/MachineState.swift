import DequeModule

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Queued work other than a transition.
enum QueueJob: Sendable {
    case eval(EvalJob)
    /// Replace the clock with a remote machine's (mirrors).
    case clock(ticks: [UInt64], queueTick: UInt64)
}

/// A closure to run between transitions, with whoever awaits it.
struct EvalJob: Sendable {
    let body: @Sendable () -> Void
    let done: CheckedContinuation<Bool, Never>?
}

enum Lifecycle: Sendable {
    case running
    /// `dispose()` was called during a drain; the drainer finishes it when the queue ends.
    case disposeRequested
    case disposed
}

/// Everything other threads may read or write, guarded by the machine's mutex.
struct SharedState: Sendable {
    var compiled: CompiledSchema
    /// Published ticks: what `is`, `tick` and `time` read. Written by the drainer.
    var ticks: [UInt64]
    var queue = Deque<Mutation>()
    /// Appended (ticked) mutations waiting in `queue`.
    var appendedInQueue = 0
    /// The tick of the queued mutation running now (or last started): what a newly
    /// queued mutation's tick is counted from.
    var queueTick: UInt64 = 1
    /// The tick of the last queued mutation that finished: what `whenQueue` and exported
    /// (so mirrored) clocks report, so a tick is only seen once its mutation is done.
    var processedTick: UInt64 = 1
    var draining = false
    var drainer: pthread_t?
    var registry: Registry
    var nextId: UInt64 = 1
    var waiters: [UInt64: Waiter] = [:]
    /// Waiters cancelled before they registered, with the error to resume them with.
    var abandonedWaiters: [UInt64: any Error] = [:]
    var contexts: [Int: StateContext] = [:]
    /// `whenArgs` waiters registered; while > 0 the drainer publishes what the last
    /// transition entered and its args.
    var argsWaiters = 0
    var lastEntered = StateSet()
    var lastArgs = Args()
    var lastError: (any Error)?
    var lifecycle = Lifecycle.running
    var disposeCallbacks: [@Sendable (Machine) -> Void] = []
    var disposedWaiters: [CheckedContinuation<Void, Never>] = []

    init(compiled: CompiledSchema, tracers: [any Tracer]) {
        self.compiled = compiled
        self.ticks = Array(repeating: 0, count: compiled.count)
        self.registry = Registry(handlers: HandlerTable(stateCount: compiled.count), tracers: tracers)
    }

    var isDisposed: Bool { lifecycle == .disposed }

    mutating func makeId() -> UInt64 {
        defer { nextId += 1 }
        return nextId
    }

    @inline(__always)
    func isActive(_ index: Int) -> Bool { ticks[index] & 1 == 1 }
}

/// State only the thread draining the queue touches. The drain flag in ``SharedState``
/// hands it from one drainer to the next, which is why it needs no lock of its own.
/// Its properties skip dynamic exclusivity checks for the same reason: one thread at a
/// time, handed over under the lock.
final class DrainState: @unchecked Sendable {
    @exclusivity(unchecked) var compiled: CompiledSchema
    @exclusivity(unchecked) var ticks: [UInt64]
    @exclusivity(unchecked) var active = StateSet()
    @exclusivity(unchecked) var transitionCount: UInt64 = 0
    /// Reused buffers for the resolver, so transitions without tracers or handlers do not
    /// allocate. Taken out while in use (a nested dry run then gets fresh ones).
    @exclusivity(unchecked) var targetsBuffer: [Int] = []
    @exclusivity(unchecked) var entersBuffer: [Int] = []
    @exclusivity(unchecked) var exitsBuffer: [Int] = []

    init(compiled: CompiledSchema) {
        self.compiled = compiled
        self.ticks = Array(repeating: 0, count: compiled.count)
    }
}
