/// Which handler is running: the Go handler names are the `description`
/// (`AEnter`, `AExit`, `AState`, `AEnd`, `AB`, `AnyEnter`, `AnyState`).
public enum HandlerKind: Sendable, Hashable, CustomStringConvertible {
    case enter(StateName)
    case exit(StateName)
    case state(StateName)
    case end(StateName)
    /// `from` was active before and `to` is being activated; `from == to` is the self
    /// handler of a state that stays active.
    case pair(from: StateName, to: StateName)
    case anyEnter
    case anyState

    /// Negotiation handlers can veto the transition; final handlers cannot.
    public var isNegotiation: Bool {
        switch self {
        case .enter, .exit, .pair, .anyEnter: true
        case .state, .end, .anyState: false
        }
    }

    public var description: String {
        switch self {
        case .enter(let s): "\(s)Enter"
        case .exit(let s): "\(s)Exit"
        case .state(let s): "\(s)State"
        case .end(let s): "\(s)End"
        case .pair(let from, let to): "\(from)\(to)"
        case .anyEnter: "AnyEnter"
        case .anyState: "AnyState"
        }
    }
}

/// What a handler receives: the machine, the transition in progress and the handler kind.
///
/// Inside handlers use `event.machine` rather than capturing the machine, so handlers do
/// not keep their machine alive. Mutations called from a handler are queued and run after
/// the current transition.
public struct Event: Sendable {
    public let machine: Machine
    public let transition: Transition
    public let kind: HandlerKind

    /// The mutation's args.
    public var args: Args { transition.mutation.args }
    /// The error carried by `addErr`, if the mutation came from one.
    public var error: (any Error)? { transition.mutation.error }
    /// True during a dry run (`canAdd`, `canRemove`): nothing will change.
    public var isCheck: Bool { transition.mutation.isCheck }
    /// The Go handler name, for example `ReadyEnter`.
    public var name: String { kind.description }

    /// A source for mutations this handler causes on other machines.
    public var source: MutationSource {
        MutationSource(
            machineId: transition.machineId, transitionId: transition.id,
            machineTime: transition.timeBefore.reduce(0, &+))
    }
}

/// A negotiation handler: return false to veto the transition; throwing cancels it and
/// adds Exception.
public typealias NegotiationHandler = @Sendable (Event) throws -> Bool
/// A final handler: runs after the states changed; throwing reverts what it can and adds
/// Exception.
public typealias FinalHandler = @Sendable (Event) throws -> Void

/// Identifies a registered handler, for ``Machine/removeHandler(_:)``.
public struct HandlerID: Hashable, Sendable {
    let value: UInt64
}
