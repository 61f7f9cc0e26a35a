import AsyncMachine
import AsyncMachineNode
import AsyncMachineRPC
import Foundation
import Logging
import Synchronization

/// A supervisor in another process, through its operator endpoint (`amnode supervisor
/// --operator`): snapshots and events as it pushes them, actions as the endpoint's states.
/// When nothing arrives for `staleAfter` the connection shows STALE, and the client keeps
/// reconnecting for as long as the dashboard runs.
public final class RemoteFeed: PoolFeed {
    public let address: String
    private let client: RPCClient
    private let consumer: Machine
    private let staleAfter: Duration
    private let inbox = Inbox()

    /// `staleAfter`: the endpoint pushes a snapshot at least once a second, so 3 s of
    /// silence means the link or the supervisor is gone. Default 3 s.
    public init(host: String, port: Int, token: String, staleAfter: Duration = .seconds(3), logger: Logger) {
        address = "\(host):\(port)"
        self.staleAfter = staleAfter
        consumer = Machine(.rpcConsumer, id: "pooltop-\(getpid())")
        client = RPCClient(host: host, port: port, configuration: .init(
            id: "op-pooltop-\(getpid())", token: token, consumer: consumer, connectTimeout: .seconds(3),
            callTimeout: .seconds(3), connectRetries: 2, reconnect: true, reconnectFor: .seconds(365 * 86_400), logger: logger))
        let inbox = self.inbox
        consumer.onState(.serverPayload) { event in
            guard let name = try? event.args.string("name"), let text = try? event.args.string("data") else { return }
            let update: FeedUpdate?
            switch name {
            case OperatorEndpoint.snapshotPayload:
                update = (try? JSONDecoder().decode(PoolSnapshot.self, from: Data(text.utf8))).map(FeedUpdate.snapshot)
            case OperatorEndpoint.transitionsPayload:
                update = (try? JSONDecoder().decode(TransitionBatch.self, from: Data(text.utf8))).map { batch in
                    var events = batch.events
                    if batch.dropped > 0 {
                        events.append(PoolEvent(kind: .error, time: wallClockNanoseconds(),
                                                error: "the supervisor skipped \(batch.dropped) events: the dashboard fell behind"))
                    }
                    return FeedUpdate.events(events)
                }
            default:
                update = nil
            }
            guard let update else { return }
            inbox.state.withLock { box in
                if box.stale || box.lastMessage == nil { box.updates.append(.connection(.live)) }
                box.stale = false
                box.lastMessage = (ContinuousClock.now, wallClockNanoseconds())
                box.updates.append(update)
            }
        }
    }

    /// Connects (failing when the endpoint cannot be reached or refuses the token) and
    /// asks for a first snapshot.
    public func start() async throws {
        let net = try await client.connect()
        _ = try await net.add1(.requestSnapshot)
    }

    public func poll() -> [FeedUpdate] {
        // Silence is measured on the monotonic clock (a wall clock step must not make or
        // hide STALE); the header shows the wall time of the last message.
        let now = ContinuousClock.now
        return inbox.state.withLock { box in
            if let last = box.lastMessage, !box.stale, now - last.at > staleAfter {
                box.stale = true
                box.updates.append(.connection(.stale(since: last.wall)))
            }
            defer { box.updates = [] }
            return box.updates
        }
    }

    public func perform(_ request: ControlRequest) async -> [OperatorAction] {
        var results: [OperatorAction] = []
        for command in request.poolCommands {
            let (state, args) = command.operatorMutation
            do {
                guard let net = client.netMachine else { throw NodeError.refused("not connected to \(address)") }
                let result = try await net.add1(state, args)
                // The supervisor reports the outcome in the event stream; this only says
                // whether the endpoint took the request.
                results.append(OperatorAction(command, ok: result != .canceled,
                                              result: result == .canceled ? "the endpoint refused it" : "sent to \(address)", origin: "dashboard"))
            } catch {
                results.append(OperatorAction(command, ok: false, result: "\(error)", origin: "dashboard"))
            }
        }
        return results
    }

    public func stop() async {
        await client.close()
        consumer.dispose()
    }
}

/// What arrived and has not been polled yet, and when the last message came.
private final class Inbox: Sendable {
    let state = Mutex<(updates: [FeedUpdate], lastMessage: (at: ContinuousClock.Instant, wall: UInt64)?, stale: Bool)>(([], nil, false))
}
