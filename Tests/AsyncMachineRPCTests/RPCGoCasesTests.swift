import AsyncMachine
import AsyncMachineRPC
import Foundation
import Synchronization
import Testing

/// rpc-node.md §4.2, the Go `pkg/rpc/rpc_test.go` cases, against real sockets on 127.0.0.1.
@Suite struct RPCGoCasesTests {
    @Test func testBasic() async throws {
        let pair = try await RPCPair.make(try Schema([.foo: StateSpec(), .bar: StateSpec(require: [.foo])]))
        #expect(try await pair.net.add1(.foo) == .executed)
        #expect(pair.source.is1(.foo))
        #expect(pair.net.mirror.is1(.foo))
        #expect(pair.client.machine.is1(.ready))
        #expect(pair.server.machine.is([.rpcReady, .hasClients]))
        #expect(!pair.client.machine.isErr && !pair.server.machine.isErr && !pair.source.isErr)
        await pair.close()
    }

    @Test func testTypeSafe() async throws {
        let pair = try await RPCPair.make(try RPCFixture.rels())
        #expect(try await pair.net.add([.a, .c]) == .executed)
        #expect(pair.source.is([.a, .c]))
        #expect(pair.net.mirror.is([.a, .c]))
        #expect(!pair.net.mirror.isErr && !pair.source.isErr)
        await pair.close()
    }

    /// Go: the server makes no calls (the clock rides on the reply); the client makes 3
    /// (Hello, Handshake, Add). Ours has no separate Handshake: 2.
    @Test func testWaiting() async throws {
        let pair = try await RPCPair.make(try RPCFixture.rels())
        let mirror = pair.net.mirror
        let waiter = Task { try await mirror.when1(.a, timeout: .seconds(5)) }
        _ = try await pair.net.add([.a, .c])
        try await waiter.value
        #expect(pair.client.metrics.framesSent == 2, "Hello and the mutation")
        #expect(pair.server.metrics.framesSent == 2, "Welcome and the reply: no pushes")
        await pair.close()
    }

    @Test func testAddMany() async throws {
        let pair = try await RPCPair.make(try RPCFixture.noRels())
        for _ in 0..<500 { _ = try await pair.net.add([.a, .c]) }
        #expect(try await pair.net.add1(.d) == .executed)
        try await pair.net.mirror.when1(.d, timeout: .seconds(5))
        #expect(pair.server.metrics.framesSent == 1 + 501, "one reply per mutation, no pushes")
        #expect(pair.net.mirror.time() == pair.source.time())
        await pair.close()
    }

    /// 100 extra states; Go counts 184 client calls (Hello, Handshake, 182 mutations).
    @Test func testManyStates() async throws {
        var pairs: [(StateName, StateSpec)] = [(.a, StateSpec()), (.b, StateSpec()), (.c, StateSpec()), (.d, StateSpec())]
        let extra = (0..<100).map { StateName("S\($0)") }
        pairs += extra.map { ($0, StateSpec()) }
        let pair = try await RPCPair.make(try Schema(pairs: pairs))
        let names = pair.net.mirror.stateNames
        _ = try await pair.net.add1(.c)
        for i in 3..<93 {
            _ = try await pair.net.remove1(names[i - 3])
            _ = try await pair.net.add1(names[i])
        }
        _ = try await pair.net.add1(.d)
        #expect(pair.client.metrics.framesSent == 1 + 1 + 180 + 1)
        #expect(pair.net.mirror.time() == pair.source.time())
        #expect(pair.client.metrics.bytesSent < 183 * 16, "a mutation of one state is a few bytes")
        await pair.close()
    }

    /// Diffs carry tick deltas, so their size does not grow with the absolute tick.
    @Test func testHighInstantClocks() async throws {
        func bytesPerOp(startingTick: UInt64) async throws -> Double {
            let pair = try await RPCPair.make(try RPCFixture.noRels())
            var snapshot = pair.source.export()
            snapshot.ticks[0] = startingTick
            snapshot.ticks[2] = startingTick
            try pair.source.import(snapshot)
            try await pair.net.sync()
            let before = pair.server.metrics.bytesSent
            for _ in 0..<500 {
                _ = try await pair.net.add([.a, .c])
                _ = try await pair.net.remove([.a, .c])
            }
            #expect(pair.net.mirror.time() == pair.source.time())
            let perOp = Double(pair.server.metrics.bytesSent - before) / 1000
            await pair.close()
            return perOp
        }
        let low = try await bytesPerOp(startingTick: 0)
        let high = try await bytesPerOp(startingTick: 1_000_000)
        #expect(high <= low + 2, "low ticks: \(low) B/op, high ticks: \(high) B/op")
    }

    /// Go's TestRetryCall / TestRetryErrNetworkTimeout: a slow source handler. Ours times
    /// the call out for real (no silent retry: a mutation is delivered at most once), and
    /// the change still reaches the mirror through a push.
    @Test func testRetryErrNetworkTimeout() async throws {
        let pair = try await RPCPair.make(
            try RPCFixture.noRels(), client: .init(id: "rc-slow", callTimeout: .milliseconds(300)))
        pair.source.onState(.d) { _ in usleep(800_000) }
        // The caller gets the call timeout's error; a call that waited for the handler would
        // have succeeded instead (the kind, not the clock, says which: tests share the CPU).
        do {
            let result = try await pair.net.add1(.d)
            Issue.record("the call waited for the slow handler and returned \(result)")
        } catch {
            guard case .timeout = error as? RPCError else { Issue.record("expected the call timeout, got \(error)"); return }
        }
        try await pair.net.mirror.when1(.d, timeout: .seconds(5))
        #expect(pair.source.is1(.d))
        #expect(pair.client.machine.is1(.ready), "a timed-out call does not drop the connection")
        #expect(try await pair.net.add1(.a) == .executed)
        await pair.close()
    }

    /// The server starts after the client began connecting: the client retries.
    @Test func testRetryConn() async throws {
        let port = try await freePort()
        let source = Machine(try RPCFixture.noRels(), id: "late")
        let server = RPCServer(source: source, configuration: .init(port: port))
        let client = RPCClient(
            host: "127.0.0.1", port: port,
            configuration: .init(id: "rc-early", connectRetries: 20, retryDelay: .milliseconds(50), maxRetryDelay: .milliseconds(100)))
        let connecting = Task { try await client.connect() }
        try await Task.sleep(for: .milliseconds(250))
        try await start(server)
        let net = try await connecting.value
        #expect(try await net.add1(.a) == .executed)
        #expect(net.mirror.is1(.a))
        #expect(client.machine.is1(.ready) && !client.machine.is1(.retryingConn))
        await client.close()
        await server.stop()
    }

    /// The server goes away and comes back on the same port: the client reconnects.
    @Test func testRetryClosedListener() async throws {
        let port = try await freePort()
        let source = Machine(try RPCFixture.noRels(), id: "flaky")
        var server = RPCServer(source: source, configuration: .init(port: port))
        try await start(server)
        let client = RPCClient(
            host: "127.0.0.1", port: port,
            configuration: .init(id: "rc-stay", retryDelay: .milliseconds(50), maxRetryDelay: .milliseconds(100)))
        let net = try await client.connect()
        await server.stop()
        try await client.machine.whenNot1(.ready, timeout: .seconds(5))
        source.add1(.b)  // while disconnected
        server = RPCServer(source: source, configuration: .init(port: port))
        try await start(server)
        try await client.machine.when1(.ready, timeout: .seconds(5))
        #expect(net.mirror.is1(.b), "the Welcome of the reconnect brought the missed change")
        #expect(try await net.add1(.d) == .executed)
        #expect(net.mirror.is([.b, .d]))
        await client.close()
        await server.stop()
    }

    @Test func testPayload() async throws {
        let consumer = Machine(.rpcConsumer, id: "consumer")
        let pair = try await RPCPair.make(
            try Schema([.c: StateSpec(multi: true)]), client: .init(id: "rc-consumer", consumer: consumer))
        let server = pair.server
        pair.source.onState(.c) { event in
            let name = (try? event.args.string("name")) ?? "?"
            let source = event.source
            Task { try await server.sendPayload(name, "Hello", to: "rc-consumer", source: source) }
        }
        let seen = Mutex<Args?>(nil)
        consumer.onState(.serverPayload) { event in seen.withLock { $0 = event.args } }
        _ = try await pair.net.add1(.c, ["name": "TestPayload"])
        try await consumer.when1(.serverPayload, timeout: .seconds(2))
        let args = try #require(seen.withLock { $0 })
        #expect(try args.string("name") == "TestPayload")
        #expect(try args.string("data") == "Hello")
        #expect(try args.string("source") == "src")
        await pair.close()
    }

    /// Go's TestMux: one listener, three clients; client 0 adds C, every mirror sees A (Auto).
    @Test func testMux() async throws {
        let source = Machine(try RPCFixture.rels(), id: "shared")
        let server = RPCServer(source: source)
        try await server.start()
        let port = try #require(server.port)
        var clients: [RPCClient] = []
        var nets: [NetMachine] = []
        for i in 0..<3 {
            let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "rc-\(i)"))
            nets.append(try await client.connect())
            clients.append(client)
        }
        #expect(server.clients == ["rc-0", "rc-1", "rc-2"])
        _ = try await nets[0].add1(.c)
        for net in nets { try await net.mirror.when([.a, .c], timeout: .seconds(2)) }
        for client in clients { await client.close() }
        await server.stop()
    }

    /// Allowed {A, B}: only those (and what they require) are mirrored.
    @Test func testPartial() async throws {
        let pair = try await RPCPair.make(try RPCFixture.noRels(), client: .init(id: "rc-partial", allowedStates: [.a, .b]))
        pair.source.add1(.a)
        pair.source.add([.b, .c])
        pair.source.add1(.d)
        try await pair.net.mirror.when([.a, .b], timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(100))
        #expect(pair.net.mirror.activeStates() == [.a, .b])
        #expect(pair.net.mirror.tick(.c) == 0 && pair.net.mirror.tick(.d) == 0)
        await pair.close()
    }

    /// Allowed {A} in Rels: A requires C, so C is mirrored too.
    @Test func testPartialInferred() async throws {
        let pair = try await RPCPair.make(try RPCFixture.rels(), client: .init(id: "rc-inferred", allowedStates: [.a]))
        pair.source.add1(.c)  // A is Auto and follows
        try await pair.net.mirror.when([.a, .c], timeout: .seconds(5))
        #expect(pair.net.mirror.activeStates() == [.a, .c])
        await pair.close()
    }

    /// Go's NoSchema mode has no counterpart (the schema always comes once); what it
    /// saves, ours does on a reconnect: the Welcome omits the schema the client has.
    @Test func testNoSchema() async throws {
        let port = try await freePort()
        let source = Machine(try RPCFixture.rels(), id: "noschema")
        var server = RPCServer(source: source, configuration: .init(port: port))
        try await start(server)
        let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "rc-ns", retryDelay: .milliseconds(50)))
        let net = try await client.connect()
        let firstWelcome = server.metrics.bytesSent
        await server.stop()
        try await client.machine.whenNot1(.ready, timeout: .seconds(5))
        server = RPCServer(source: source, configuration: .init(port: port))
        try await start(server)
        try await client.machine.when1(.ready, timeout: .seconds(5))
        // Rels' schema is over 40 bytes on the wire; a Welcome without it is that much smaller.
        #expect(server.metrics.bytesSent <= firstWelcome - 40, "the second Welcome has no schema")
        _ = try await net.add([.a, .c])
        #expect(net.mirror.activeStates() == [.a, .c])
        await client.close()
        await server.stop()
    }

    /// Go's TestMutationsSync (one synthetic transition per source mutation) has no
    /// counterpart: pushes are coalesced. Every push is one mirror transition, and the
    /// mirror ends where the source is.
    @Test func testMutationsSync() async throws {
        let pair = try await RPCPair.make(try RPCFixture.rels(), server: .init(pushInterval: .milliseconds(200)))
        let counter = TransitionCounter()
        pair.net.mirror.attach(counter)
        pair.source.add1(.b)  // A (Auto) follows
        pair.source.add1(.d)
        try await pair.net.mirror.when([.a, .b, .c, .d], timeout: .seconds(5))
        #expect(counter.value >= 1 && counter.value <= 3)
        #expect(pair.net.mirror.time() == pair.source.time())
        await pair.close()
    }
}

/// A port nothing listens on right now, below the kernel's ephemeral range (32768+), so
/// no outgoing connection (a reconnecting client's included) can be given it as its
/// source port while a test stops and restarts a server on it.
func freePort() async throws -> Int {
    for _ in 0..<50 {
        let port = Int.random(in: 20_000..<32_000)
        let probe = RPCServer(source: Machine(try RPCFixture.noRels()), configuration: .init(port: port))
        do {
            try await probe.start()
            await probe.stop()
            return port
        } catch {
            continue
        }
    }
    throw RPCError.unavailable("no free port found")
}

/// Starts `server`, retrying for up to 5 s while its port is still held by a closing socket.
func start(_ server: RPCServer) async throws {
    let deadline = ContinuousClock.now + .seconds(5)
    while true {
        do {
            return try await server.start()
        } catch {
            guard ContinuousClock.now < deadline else {
                throw RPCError.unavailable("port \(server.configuration.port) still in use after 5 s: \(error)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
