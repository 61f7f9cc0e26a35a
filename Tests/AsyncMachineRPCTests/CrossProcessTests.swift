import AsyncMachine
import AsyncMachineRPC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A machine in another process (the real `amnode rpc-demo serve`) mirrored here.
@Suite(.serialized) struct CrossProcessTests {
    static let amnode = ChildProcess.builtBinary("amnode")

    @Test(.enabled(if: amnode != nil, "needs the amnode binary (swift build)"), .timeLimit(.minutes(1)))
    func machineInAnotherProcessIsMirroredLive() async throws {
        let server = try ChildProcess(try #require(Self.amnode), ["rpc-demo", "serve", "--port", "0", "--interval", "50"])
        defer { server.stop() }
        let port = try #require(Int(try await server.waitForOutput(#"127\.0\.0\.1:(\d+)"#)))
        let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "rc-e2e", reconnect: false))
        let net = try await client.connect()
        #expect(net.sourceId == "demo")
        // The served machine flips Busy and Idle on its own: the mirror follows.
        try await net.mirror.when1("Busy", timeout: .seconds(5))
        try await net.mirror.when1("Idle", timeout: .seconds(5))
        try await net.mirror.when1("Busy", timeout: .seconds(5))
        // Forwarded to the other process; queued there when the demo is mid-transition.
        let tick = try await net.add1("Tick")
        #expect(tick == .executed || { if case .queued = tick { true } else { false } }(), "\(tick)")
        // Killing the server process ends the connection; the client notices at once.
        server.signal(SIGKILL)
        try await client.machine.whenNot1(.ready, timeout: .seconds(5))
        await #expect(throws: RPCError.self) { try await net.add1("Tick") }
        await client.close()
    }
}
