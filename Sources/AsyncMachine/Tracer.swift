/// Receives every transition of the machines it is attached to. Recording, logging, the
/// dashboard and debugging all hang off this one hook.
///
/// Calls are synchronous on the thread draining the machine's queue, except
/// ``mutationQueued(_:_:)``, which runs on the thread that queued the mutation; a tracer
/// must therefore be thread-safe, and must not block: it holds up the machine.
/// Every method has an empty default.
public protocol Tracer: AnyObject, Sendable {
    /// Ask the machine to record ``Transition/steps`` (costs time on every transition).
    var wantsSteps: Bool { get }
    /// A mutation was appended to the queue because a transition was running.
    func mutationQueued(_ machine: Machine, _ mutation: Mutation)
    /// A transition was resolved and is about to negotiate (or was rejected by relations).
    func transitionStart(_ transition: Transition)
    /// A transition finished; it is complete and read-only from now on.
    func transitionEnd(_ transition: Transition)
    /// The queue drained empty.
    func queueEnd(_ machine: Machine)
    /// The machine grew its schema (`setSchema`).
    func schemaChanged(_ machine: Machine, from old: Schema)
    /// The machine was disposed.
    func machineDisposed(_ machine: Machine)
}

extension Tracer {
    public var wantsSteps: Bool { false }
    public func mutationQueued(_ machine: Machine, _ mutation: Mutation) {}
    public func transitionStart(_ transition: Transition) {}
    public func transitionEnd(_ transition: Transition) {}
    public func queueEnd(_ machine: Machine) {}
    public func schemaChanged(_ machine: Machine, from old: Schema) {}
    public func machineDisposed(_ machine: Machine) {}
}
