import AsyncMachine
import AsyncMachineNode
import AsyncMachineRPC
import Testing

/// The built-in schemas are literals made with `try!`: this proves each one validates
/// (a mistake in one would trap here, in CI, instead of in a user's process).
@Suite struct BuiltInSchemasTests {
    @Test func everyBuiltInSchemaValidatesAndHasItsStates() {
        var schemas: [(Schema, [StateName])] = []
        schemas.append((Schema.basic, [StateName.start, StateName.ready, StateName.exception]))
        schemas.append((Schema.connected, [StateName.connecting, StateName.connected, StateName.disconnected]))
        schemas.append((Schema.rpcServer, [StateName.rpcReady, StateName.hasClients]))
        schemas.append((Schema.rpcClient, [StateName.ready, StateName.retryingConn, StateName.serverPayload]))
        schemas.append((Schema.rpcConsumer, [StateName.serverPayload]))
        schemas.append((Schema.worker, [StateName.rpcReady, StateName.serveClient, StateName.idle, StateName.workRequested]))
        schemas.append((Schema.bootstrap, [StateName.workerAddr]))
        schemas.append((Schema.supervisor, [StateName.poolReady, StateName.workersAvailable, StateName.provideWorker]))
        schemas.append((Schema.nodeClient, [StateName.superReady, StateName.workerRequested, StateName.serverPayload]))
        schemas.append((Schema.operatorEndpoint, [StateName.forkWorkers, StateName.killWorker, StateName.requestSnapshot]))
        for (schema, states) in schemas {
            #expect(schema.has(states), "\(states) in \(schema.names)")
            #expect(schema[.exception]?.multi == true)
        }
    }
}
