import AsyncMachine
import Synchronization

/// A remote machine seen through an ``RPCClient``: `mirror` is a local ``Machine`` kept
/// in step with the remote one (reads, waits, state contexts, tracers, handlers and pipes
/// all work on it locally), and the mutation methods here run on the remote machine.
///
/// Do not mutate `mirror` directly: the next clock from the server overwrites it. Its
/// handlers and tracers run on the connection's event loop, so keep them short.
public final class NetMachine: Sendable {
    public let mirror: Machine
    /// The remote machine's id.
    public let sourceId: String
    private let client: WeakClient

    init(mirror: Machine, sourceId: String, client: RPCClient) {
        self.mirror = mirror
        self.sourceId = sourceId
        self.client = WeakClient(client)
    }

    @discardableResult
    public func add(_ states: [StateName], _ args: Args = Args(), source: MutationSource? = nil) async throws -> MutationResult {
        try await forward(.add, states, args, source)
    }

    @discardableResult
    public func add1(_ state: StateName, _ args: Args = Args(), source: MutationSource? = nil) async throws -> MutationResult {
        try await forward(.add, [state], args, source)
    }

    @discardableResult
    public func remove(_ states: [StateName], _ args: Args = Args(), source: MutationSource? = nil) async throws -> MutationResult {
        try await forward(.remove, states, args, source)
    }

    @discardableResult
    public func remove1(_ state: StateName, _ args: Args = Args(), source: MutationSource? = nil) async throws -> MutationResult {
        try await forward(.remove, [state], args, source)
    }

    @discardableResult
    public func set(_ states: [StateName], _ args: Args = Args(), source: MutationSource? = nil) async throws -> MutationResult {
        try await forward(.set, states, args, source)
    }

    /// Adds Exception (and `state`, when given) on the remote machine with the error's
    /// text in `args["err"]`.
    @discardableResult
    public func addErr(_ error: any Error, state: StateName? = nil, _ args: Args = Args()) async throws -> MutationResult {
        var args = args
        args["err"] = .string(String(describing: error))
        return try await forward(.add, state.map { [$0, .exception] } ?? [.exception], args, nil)
    }

    /// Fetches the whole clock from the server.
    public func sync() async throws {
        guard let client = client.value else { throw RPCError.notConnected("the client is gone") }
        try await client.sync()
    }

    private func forward(_ type: MutationType, _ states: [StateName], _ args: Args, _ source: MutationSource?)
        async throws -> MutationResult
    {
        guard let client = client.value else { throw RPCError.notConnected("the client is gone") }
        var mutation = WireMutation()
        mutation.type = type.wire
        for state in states {
            guard let index = mirror.index(of: state) else { throw RPCError.unknownState(state.rawValue) }
            mutation.states.append(UInt32(index))
        }
        mutation.args = args.wire
        if let source {
            mutation.sourceMachine = source.machineId
            mutation.sourceTransition = source.transitionId
        }
        let reply = try await client.call(.mutation(mutation), what: "\(type) \(states.map(\.rawValue).joined(separator: " "))")
        switch reply.body {
        case .mutationResult(let result)?: return MutationResult(wire: result)
        case .error(let error)?: throw RPCError(error)
        default: throw RPCError.protocolViolation("a mutation was answered with \(reply.body.debugName)")
        }
    }
}

struct WeakClient: Sendable {
    weak var value: RPCClient?
    init(_ value: RPCClient) { self.value = value }
}
