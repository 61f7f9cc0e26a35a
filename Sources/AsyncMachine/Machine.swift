import Logging
import Synchronization

/// A state machine: states with relations, a mutation queue, per-state tick clocks,
/// handlers, awaitable conditions and tracers.
///
/// Safe to use from any thread. Mutations (`add`, `remove`, `set`, ...) go through one
/// queue; whichever caller finds the machine idle drains it, running handlers inline on
/// its own thread. A mutation called while a transition runs (from a handler or another
/// thread) is queued and returns ``MutationResult/queued(_:)``.
///
/// ```swift
/// let machine = try Machine(Schema([
///     .start: StateSpec(),
///     .ready: StateSpec(require: [.start]),
/// ]), id: "demo")
/// machine.onState(.ready) { event in logger.info("ready") }
/// machine.add([.start, .ready])      // .executed
/// ```
public final class Machine: Sendable, CustomStringConvertible {
    /// Machine settings. Every default is the Go implementation's.
    public struct Configuration: Sendable {
        /// The parent machine's id, for tracers and dashboards.
        public var parentId: String?
        /// Free-form tags.
        public var tags: [String]
        /// Most mutations the queue holds; further ones are cancelled. Default 1000.
        public var queueLimit: Int
        /// A handler running longer than this cancels its transition as a failed handler
        /// would (without adding Exception). Default 100 ms; nil disables the check.
        public var handlerTimeout: Duration?
        /// Where the machine reports unknown states, failed handlers and a full queue.
        public var logger: Logger
        /// Tracers attached from the start.
        public var tracers: [any Tracer]

        public init(
            parentId: String? = nil, tags: [String] = [], queueLimit: Int = 1000,
            handlerTimeout: Duration? = .milliseconds(100),
            logger: Logger = Logger(label: "asyncmachine"), tracers: [any Tracer] = []
        ) {
            self.parentId = parentId
            self.tags = tags
            self.queueLimit = queueLimit
            self.handlerTimeout = handlerTimeout
            self.logger = logger
            self.tracers = tracers
        }
    }

    public let id: String
    public let configuration: Configuration
    let handlerTimeoutNanos: UInt64?
    let shared: Mutex<SharedState>
    let drain: DrainState

    /// Creates a machine with every state inactive (all ticks 0).
    public init(_ schema: Schema, id: String? = nil, configuration: Configuration = Configuration()) {
        let compiled = CompiledSchema(schema)
        self.id = id ?? "m-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        self.configuration = configuration
        self.handlerTimeoutNanos = configuration.handlerTimeout.map { UInt64(max(0, $0.nanosecondsCount)) }
        self.shared = Mutex(SharedState(compiled: compiled, tracers: configuration.tracers))
        self.drain = DrainState(compiled: compiled)
    }

    var logger: Logger { configuration.logger }
    public var parentId: String? { configuration.parentId }
    public var tags: [String] { configuration.tags }

    // MARK: Schema

    /// The current schema.
    public var schema: Schema { shared.withLock { $0.compiled.schema } }

    /// The state order: what every clock vector and index refers to.
    public var stateNames: [StateName] { shared.withLock { $0.compiled.names } }

    /// The index of `state` in the state order, nil when unknown (or disposed).
    public func index(of state: StateName) -> Int? {
        shared.withLock { s in s.isDisposed ? nil : s.compiled.index[state] }
    }

    /// True when all of `states` are defined.
    public func has(_ states: [StateName]) -> Bool {
        shared.withLock { s in !s.isDisposed && states.allSatisfy { s.compiled.index[$0] != nil } }
    }

    public func has1(_ state: StateName) -> Bool { has([state]) }

    // MARK: Checking

    /// True when all of `states` are active; an empty list is true; an unknown state is
    /// false. Inside negotiation handlers this is the state before the transition, inside
    /// final handlers the state after it.
    public func `is`(_ states: [StateName]) -> Bool {
        shared.withLock { s in
            guard !s.isDisposed else { return false }
            for name in states {
                guard let i = s.compiled.index[name], s.isActive(i) else { return false }
            }
            return true
        }
    }

    public func `is`(_ states: StateName...) -> Bool { self.is(states) }
    public func is1(_ state: StateName) -> Bool { self.is([state]) }

    /// True when none of `states` is active (unknown states count as inactive).
    public func not(_ states: [StateName]) -> Bool {
        shared.withLock { s in
            guard !s.isDisposed else { return true }
            return !states.contains { s.compiled.index[$0].map(s.isActive) ?? false }
        }
    }

    public func not1(_ state: StateName) -> Bool { self.not([state]) }

    /// True when, for at least one group, all of its states are active.
    public func any(_ groups: [StateName]...) -> Bool { groups.contains { self.is($0) } }

    /// True when at least one of `states` is active.
    public func any1(_ states: StateName...) -> Bool { states.contains { self.is1($0) } }

    /// True when Exception is active.
    public var isErr: Bool { is1(.exception) }

    /// The last error added with `addErr` (or thrown by a handler). Never cleared.
    public var lastError: (any Error)? { shared.withLock { $0.lastError } }

    /// The active states, in state order (filtered to `states` when given).
    public func activeStates(_ states: [StateName]? = nil) -> [StateName] {
        shared.withLock { s in
            guard !s.isDisposed else { return [] }
            let names = s.compiled.names
            let all = names.indices.filter { s.isActive($0) }.map { names[$0] }
            guard let states else { return all }
            return all.filter(states.contains)
        }
    }

    // MARK: Clocks

    /// The tick of `state`: odd means active. 0 for unknown states.
    public func tick(_ state: StateName) -> UInt64 {
        shared.withLock { s in
            guard !s.isDisposed, let i = s.compiled.index[state] else { return 0 }
            return s.ticks[i]
        }
    }

    /// The machine time: ticks in state order (of `states` when given, in their order).
    public func time(_ states: [StateName]? = nil) -> [UInt64] {
        shared.withLock { s in
            guard !s.isDisposed else { return [] }
            guard let states else { return s.ticks }
            return states.map { s.compiled.index[$0].map { s.ticks[$0] } ?? 0 }
        }
    }

    /// Ticks by state name (of `states` when given).
    public func clock(_ states: [StateName]? = nil) -> [StateName: UInt64] {
        shared.withLock { s in
            guard !s.isDisposed else { return [:] }
            let names = states ?? s.compiled.names
            var clock: [StateName: UInt64] = [:]
            for name in names { if let i = s.compiled.index[name] { clock[name] = s.ticks[i] } }
            return clock
        }
    }

    /// True when every state of `clock` has exactly that tick (nothing changed since).
    public func isClock(_ clock: [StateName: UInt64]) -> Bool {
        let now = self.clock(Array(clock.keys))
        return !now.isEmpty && clock.allSatisfy { now[$0.key] == $0.value }
    }

    /// The queue tick: 1 at start, +1 for every queued mutation taken off the queue, so
    /// inside a handler it is the running mutation's tick. (`whenQueue` and `export`
    /// use the tick of the last mutation that *finished*.)
    public var queueTick: UInt64 { shared.withLock { $0.queueTick } }

    /// Mutations waiting in the queue.
    public var queueLength: Int { shared.withLock { $0.queue.count } }

    /// True while a caller is draining the queue.
    public var isBusy: Bool { shared.withLock { $0.draining } }

    /// `(A:1 B:1)`: active states with their ticks, in state order.
    public var description: String {
        shared.withLock { s in
            if s.isDisposed { return "()" }
            let names = s.compiled.names
            return "(" + names.indices.filter { s.isActive($0) }.map { "\(names[$0]):\(s.ticks[$0])" }
                .joined(separator: " ") + ")"
        }
    }

    /// `(A:1 B:1) [C:0 D:0 Exception:0]`: active states, then the inactive ones.
    public var descriptionAll: String {
        shared.withLock { s in
            if s.isDisposed { return "() []" }
            let names = s.compiled.names
            let active = names.indices.filter { s.isActive($0) }.map { "\(names[$0]):\(s.ticks[$0])" }
            let inactive = names.indices.filter { !s.isActive($0) }.map { "\(names[$0]):\(s.ticks[$0])" }
            return "(" + active.joined(separator: " ") + ") [" + inactive.joined(separator: " ") + "]"
        }
    }

    /// A multi-line dump: each state with `1`/`0` for active, its tick, flags and relations
    /// (empty once disposed).
    public func inspect() -> String {
        let (schema, ticks, disposed) = shared.withLock { ($0.compiled.schema, $0.ticks, $0.isDisposed) }
        if disposed { return "" }
        var lines: [String] = []
        for (i, (name, spec)) in schema.states.enumerated() {
            lines.append("\(ticks[i] & 1) \(name)")
            lines.append("    |Tick     \(ticks[i])")
            if spec.auto { lines.append("    |Auto     true") }
            if spec.multi { lines.append("    |Multi    true") }
            for (label, list) in [("Add", spec.add), ("Require", spec.require), ("Remove", spec.remove), ("After", spec.after)]
            where !list.isEmpty {
                lines.append("    |" + label + String(repeating: " ", count: 9 - label.count) + list.map(\.rawValue).joined(separator: " "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Tracers

    /// Attaches a tracer; it sees every transition from now on. Attaching one that is
    /// already attached changes nothing.
    public func attach(_ tracer: any Tracer) {
        shared.withLock { s in
            // Attaching twice would report every transition twice (observers that race to
            // attach the same tracer to a machine are easy to write).
            guard !s.registry.tracers.contains(where: { $0 === tracer }) else { return }
            s.registry = s.registry.with(tracers: s.registry.tracers + [tracer])
        }
    }

    /// Detaches a tracer; false when it was not attached.
    @discardableResult
    public func detach(_ tracer: any Tracer) -> Bool {
        shared.withLock { s in
            var tracers = s.registry.tracers
            guard let i = tracers.firstIndex(where: { $0 === tracer }) else { return false }
            tracers.remove(at: i)
            s.registry = s.registry.with(tracers: tracers)
            return true
        }
    }

    public var tracers: [any Tracer] { shared.withLock { $0.registry.tracers } }
}
