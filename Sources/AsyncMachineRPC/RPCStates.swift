import AsyncMachine

extension StateName {
    /// Server: listening for connections.
    public static let rpcReady: StateName = "RpcReady"
    /// Server: a client completed its Hello (Multi, args `client`).
    public static let clientConnected: StateName = "ClientConnected"
    /// Server: a client left (Multi, args `client`).
    public static let clientDisconnected: StateName = "ClientDisconnected"
    /// Server: at least one client is connected.
    public static let hasClients: StateName = "HasClients"
    /// Client: the connection is waiting for its next attempt.
    public static let retryingConn: StateName = "RetryingConn"
    /// Client and consumers: a payload arrived (Multi, args `name`, `data`, `source`).
    public static let serverPayload: StateName = "ServerPayload"
    /// An error of the RPC protocol (a refused Hello, a malformed message).
    public static let errRpc: StateName = "ErrRpc"
}

extension Schema {
    /// The state machine of an ``RPCServer`` (its `machine`).
    public static let rpcServer: Schema = {
        try! Schema.basic.merging([
            .rpcReady: StateSpec(require: [.start]),
            .clientConnected: StateSpec(require: [.rpcReady], multi: true),
            .clientDisconnected: StateSpec(multi: true),
            .hasClients: StateSpec(require: [.rpcReady]),
            .errRpc: StateSpec(require: [.exception], add: [.exception], multi: true),
        ])
    }()

    /// The state machine of an ``RPCClient`` (its `machine`): the Connected group plus
    /// Ready (handshake done, mirror in sync) and RetryingConn.
    public static let rpcClient: Schema = {
        try! Schema.basic.merging(Schema.connected).merging([
            // Connected also ends a retry spell.
            .connected: StateSpec(require: [.start], remove: [.connecting, .disconnecting, .disconnected, .retryingConn]),
            .ready: StateSpec(require: [.connected]),
            .retryingConn: StateSpec(require: [.start]),
            .serverPayload: StateSpec(multi: true),
            .errRpc: StateSpec(require: [.exception], add: [.exception], multi: true),
        ])
    }()

    /// What a payload consumer needs: a Multi `ServerPayload` state.
    public static let rpcConsumer: Schema = {
        try! Schema([.serverPayload: StateSpec(multi: true)])
    }()
}
