import AsyncMachine
import AsyncMachineRPC
import Foundation
import Synchronization

/// The supervisor's operator connection point: an aRPC endpoint that demands a token,
/// pushes a ``PoolSnapshot`` to every operator whenever the pool changes (at most every
/// `snapshotInterval`, sequence numbered, the last change always sent, and at least once a
/// second), and runs the actions operators add as states (ForkWorkers, KillWorker,
/// ProvideTo, SetPool, DrainWorker, HeartbeatNow, RequestSnapshot).
public final class OperatorEndpoint: Sendable {
    /// Payload name of pushed snapshots; the data is the snapshot as JSON text.
    public static let snapshotPayload = "PoolSnapshot"
    /// Payload name of the event stream: a ``TransitionBatch`` as JSON text, with the
    /// pool's events (transitions of the supervisor and every worker mirror, errors,
    /// actions) since the last batch.
    public static let transitionsPayload = "Transitions"

    public let machine: Machine
    public let server: RPCServer
    private weak let supervisor: Supervisor?
    private let interval: Duration
    private let pushState = Mutex<(dirty: Bool, task: Task<Void, Never>?)>((false, nil))
    private let pushLock = Mutex(())
    private let tap = Mutex<PoolEventTap?>(nil)

    /// `token`: what operators must present (see ``OperatorToken``).
    public init(supervisor: Supervisor, host: String = "127.0.0.1", port: Int = 0, token: String,
                snapshotInterval: Duration = .milliseconds(100)) {
        self.supervisor = supervisor
        self.interval = snapshotInterval
        machine = Machine(.operatorEndpoint, id: "no-\(supervisor.name)")
        server = RPCServer(source: machine, configuration: .init(host: host, port: port, id: "rs-no-\(supervisor.name)", token: token))
        bindActions()
    }

    /// `host:port` operators connect to, once started.
    public var address: String? { server.port.map { "\(server.configuration.host):\($0)" } }

    public func start() async throws {
        machine.add1(.start)
        try await server.start()
        supervisor?.observeChanges { [weak self] in self?.changed() }
        if let supervisor { tap.withLock { $0 = PoolEventTap.attached(to: supervisor) } }
        let interval = self.interval
        let task = Task { [weak self] in
            var sinceForced = Duration.zero
            while !Task.isCancelled {
                // With no operator connected there is nobody to push to: wake up rarely.
                let idle = self?.server.clients.isEmpty ?? true
                try? await Task.sleep(for: idle ? .seconds(1) : interval)
                guard let self else { return }
                sinceForced += idle ? .seconds(1) : interval
                let dirty = self.pushState.withLock { s in
                    defer { s.dirty = false }
                    return s.dirty
                }
                self.pushTransitions()
                if dirty || sinceForced >= .seconds(1) {
                    sinceForced = .zero
                    self.push()
                }
            }
        }
        pushState.withLock { $0.task = task }
    }

    public func stop() async {
        pushState.withLock { $0.task?.cancel() }
        tap.withLock { $0 }?.detach()
        await server.stop()
        machine.remove1(.start)
    }

    private func changed() { pushState.withLock { $0.dirty = true } }

    /// Sends what the tap collected since the last batch (nothing when it is empty).
    private func pushTransitions() {
        pushLock.withLock { _ in
            guard let batch = tap.withLock({ $0 })?.take(), !batch.events.isEmpty || batch.dropped > 0, !server.clients.isEmpty,
                let json = try? JSONEncoder().encode(TransitionBatch(events: batch.events, dropped: batch.dropped))
            else { return }
            server.broadcastPayload(Self.transitionsPayload, .string(String(decoding: json, as: UTF8.self)))
        }
    }

    /// Takes a snapshot and writes it in one locked step, so snapshots reach every
    /// operator in sequence order whoever pushes (the loop or a request).
    private func push() {
        guard let supervisor, !server.clients.isEmpty else { return }
        pushLock.withLock { _ in
            guard let json = try? JSONEncoder().encode(supervisor.snapshot()) else { return }
            server.broadcastPayload(Self.snapshotPayload, .string(String(decoding: json, as: UTF8.self)))
        }
    }

    private static func fail(_ event: Event, _ message: String) {
        event.machine.addErrState(.errOperator, NodeError.refused(message))
    }

    private func bindActions() {
        let fail = Self.fail
        // Every action runs through Supervisor.perform, so recorders and dashboards see it.
        let supervisor: @Sendable () -> Supervisor? = { [weak self] in self?.supervisor }
        @Sendable func perform(_ event: Event, _ command: PoolCommand) {
            guard let supervisor = supervisor() else { return }
            let action = supervisor.perform(command, origin: "operator")
            if !action.ok { fail(event, action.result) }
        }
        machine.onState(.forkWorkers) { event in
            perform(event, .fork(count: (try? event.args.int("count")) ?? 1))
        }
        machine.onState(.killWorker) { event in
            guard let id = try? event.args.string("worker") else { return fail(event, "KillWorker needs args worker") }
            let force = ((try? event.args.optionalBool("force")) ?? false) ?? false
            perform(event, .kill(worker: id, force: force))
        }
        machine.onState(.provideTo) { event in
            guard let name = try? event.args.string("client") else { return fail(event, "ProvideTo needs args client") }
            perform(event, .provide(client: name))
        }
        machine.onState(.setPool) { event in
            perform(event, .setPool(min: (try? event.args.optionalInt("min")).flatMap { $0 },
                                    max: (try? event.args.optionalInt("max")).flatMap { $0 },
                                    warm: (try? event.args.optionalInt("warm")).flatMap { $0 }))
        }
        machine.onState(.drainWorker) { event in
            guard let id = try? event.args.string("worker") else { return fail(event, "DrainWorker needs args worker") }
            perform(event, .drain(worker: id))
        }
        machine.onState(.heartbeatNow) { event in perform(event, .heartbeat) }
        machine.onState(.requestSnapshot) { [weak self] _ in self?.push() }
    }
}

extension PoolCommand {
    /// The state and args that ask an operator endpoint for this command: what an attached
    /// dashboard adds on the endpoint's machine (read back by the handlers above).
    public var operatorMutation: (state: StateName, args: Args) {
        switch self {
        case .fork(let count): (.forkWorkers, ["count": .int(count)])
        case .kill(let worker, let force): (.killWorker, ["worker": .string(worker), "force": .bool(force)])
        case .provide(let client): (.provideTo, ["client": .string(client)])
        case .setPool(let min, let max, let warm):
            (.setPool, Args(["min": min, "max": max, "warm": warm].compactMapValues { $0.map(ArgValue.int) }))
        case .drain(let worker): (.drainWorker, ["worker": .string(worker)])
        case .heartbeat: (.heartbeatNow, Args())
        }
    }
}

/// The operator token: given, or generated into a file only its owner can read.
public enum OperatorToken {
    /// The environment variable that can carry the token.
    public static let environmentVariable = "AM_NODE_TOKEN"

    /// The token in `file` when it exists; otherwise a new random token written to `file`
    /// with mode 0600.
    public static func loadOrCreate(at file: String) throws -> String {
        if let existing = try? String(contentsOfFile: file, encoding: .utf8) {
            let token = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty { return token }
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        guard FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw NodeError.refused("cannot write the token file \(file)")
        }
        return token
    }

    /// Reads a token file (what `amnode status --token-file` does).
    public static func read(_ file: String) throws -> String {
        let token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw NodeError.refused("the token file \(file) is empty") }
        return token
    }
}
