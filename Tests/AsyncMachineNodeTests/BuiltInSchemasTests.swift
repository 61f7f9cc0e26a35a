import AsyncMachine
import AsyncMachineNode
import AsyncMachineRPC
import Testing

/// The built-in schemas are literals made with `try!`: this proves each one validates
/// (a mistake in one would trap here, in CI, instead of in a user's process).
@Suite struct BuiltInSchemasTests {
    @Test func everyBuiltInSchemaValidatesAndHasItsStates() {
        let schemas: [(Schema, [StateName])] = [
            (.basic, [.start, .ready, .exception]),
            (.connected, [.connecting, .connected, .disconnected]),
            (.rpcServer, [.rpcReady, .hasClients]),
            (.rpcClient, [.ready, .retryingConn, .serverPayload]),
            (.rpcConsumer, [.serverPayload]),
            (.worker, [.rpcReady, .serveClient, .idle, .workRequested]),
            (.bootstrap, [.workerAddr]),
            (.supervisor, [.poolReady, .workersAvailable, .provideWorker]),
            (.nodeClient, [.superReady, .workerRequested, .serverPayload]),
            (.operatorEndpoint, [.forkWorkers, .killWorker, .requestSnapshot]),
        ]
        for (schema, states) in schemas {
            #expect(schema.has(states), "\(states) in \(schema.names)")
            #expect(schema[.exception]?.multi == true)
        }
    }
}
