import AsyncMachine
import AsyncMachineRPC
import Synchronization
import Testing

extension StateName {
    static let a: StateName = "A"
    static let b: StateName = "B"
    static let c: StateName = "C"
    static let d: StateName = "D"
    static let foo: StateName = "Foo"
    static let bar: StateName = "Bar"
}

enum RPCFixture {
    /// `A{Auto, Require C}, B{Multi, Add C}, C{After D}, D{Add C, B}` (machine-semantics.md).
    static func rels() throws -> Schema {
        try Schema([
            .a: StateSpec(require: [.c], auto: true),
            .b: StateSpec(add: [.c], multi: true),
            .c: StateSpec(after: [.d]),
            .d: StateSpec(add: [.c, .b]),
        ])
    }

    static func noRels() throws -> Schema {
        try Schema([.a: StateSpec(), .b: StateSpec(), .c: StateSpec(), .d: StateSpec()])
    }
}

/// A source machine served on 127.0.0.1 and a connected client: the real thing, in one process.
struct RPCPair {
    let source: Machine
    let server: RPCServer
    let client: RPCClient
    let net: NetMachine

    static func make(
        _ schema: Schema, sourceId: String = "src",
        server serverConfig: RPCServer.Configuration = .init(),
        client clientConfig: RPCClient.Configuration = .init(id: "rc-test")
    ) async throws -> RPCPair {
        let source = Machine(schema, id: sourceId, configuration: .init(handlerTimeout: nil))
        let server = RPCServer(source: source, configuration: serverConfig)
        try await server.start()
        let port = try #require(server.port)
        let client = RPCClient(host: "127.0.0.1", port: port, configuration: clientConfig)
        let net = try await client.connect()
        return RPCPair(source: source, server: server, client: client, net: net)
    }

    func close() async {
        await client.close()
        await server.stop()
    }
}

/// Counts transitions a machine goes through.
final class TransitionCounter: Tracer {
    private let count = Atomic<Int>(0)
    func transitionEnd(_ transition: Transition) { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
