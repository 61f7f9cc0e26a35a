/// Errors the machine itself reports.
public enum MachineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A mutation, query or handler named a state the schema does not define.
    case unknownState(StateName)
    /// The machine has been disposed.
    case disposed
    /// A wait ran out of time.
    case timeout
    /// A handler threw; the transition was cancelled and Exception added.
    case handlerFailed(handler: String, message: String)
    /// A handler ran longer than the machine's handler timeout.
    case handlerTimeout(handler: String)
    /// The queue already holds `Configuration.queueLimit` mutations.
    case queueFull

    public var description: String {
        switch self {
        case .unknownState(let name): "state \(name) is not defined in the schema"
        case .disposed: "the machine is disposed"
        case .timeout: "timed out"
        case .handlerFailed(let handler, let message): "handler \(handler) failed: \(message)"
        case .handlerTimeout(let handler): "handler \(handler) exceeded the handler timeout"
        case .queueFull: "the mutation queue is full"
        }
    }
}
