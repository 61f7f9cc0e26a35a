@testable import AsyncMachineRPC
import AsyncMachine
import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing

@Suite struct RPCRobustnessTests {
    @Test func mirrorThatMissedAPushHealsThroughTheSequenceGap() async throws {
        let pair = try await RPCPair.make(try RPCFixture.noRels())
        pair.client.dropNextPushForTesting()
        pair.source.add1(.a)  // this push is lost
        try await Task.sleep(for: .milliseconds(100))
        #expect(pair.net.mirror.not1(.a), "the lost push did not arrive")
        pair.source.add1(.b)  // its diff has the wrong sequence number: the client syncs
        try await pair.net.mirror.when([.a, .b], timeout: .seconds(5))
        #expect(pair.net.mirror.time() == pair.source.time())
        await pair.close()
    }

    @Test func partialMirrorHealsTooAndKeepsUntrackedStatesAtZero() async throws {
        let pair = try await RPCPair.make(try RPCFixture.noRels(), client: .init(id: "rc-p", allowedStates: [.a, .b]))
        pair.client.dropNextPushForTesting()
        pair.source.add([.a, .c])
        try await Task.sleep(for: .milliseconds(100))
        pair.source.add([.b, .d])
        try await pair.net.mirror.when([.a, .b], timeout: .seconds(5))
        #expect(pair.net.mirror.activeStates() == [.a, .b])
        #expect(pair.net.mirror.time([.c, .d]) == [0, 0])
        await pair.close()
    }

    @Test func payloadReachesOnlyItsAddressedClient() async throws {
        let source = Machine(try RPCFixture.noRels(), id: "payloads")
        let server = RPCServer(source: source)
        try await server.start()
        let port = try #require(server.port)
        let consumers = [Machine(.rpcConsumer, id: "k1"), Machine(.rpcConsumer, id: "k2")]
        var clients: [RPCClient] = []
        for (i, consumer) in consumers.enumerated() {
            let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "c\(i + 1)", consumer: consumer))
            _ = try await client.connect()
            clients.append(client)
        }
        #expect(try await server.sendPayload("job", .map(["n": 1]), to: "c2") == 1)
        try await consumers[1].when1(.serverPayload, timeout: .seconds(2))
        try await Task.sleep(for: .milliseconds(100))
        #expect(consumers[0].tick(.serverPayload) == 0, "c1 got nothing")
        #expect(try await server.sendPayload("all", "x") == 2)
        try await consumers[0].when1(.serverPayload, timeout: .seconds(2))
        try await consumers[1].whenTime([.serverPayload], [3], timeout: .seconds(2))
        await #expect(throws: RPCError.notConnected("client c9 is not connected")) {
            try await server.sendPayload("job", 1, to: "c9")
        }
        for client in clients { await client.close() }
        await server.stop()
    }

    @Test func clientNotOnTheAllowListIsRefusedWithAClearError() async throws {
        let source = Machine(try RPCFixture.noRels(), id: "guarded")
        let server = RPCServer(source: source, configuration: .init(allowedClients: ["friend"]))
        try await server.start()
        let port = try #require(server.port)
        let stranger = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "stranger"))
        await #expect(throws: RPCError.forbidden("client stranger is not allowed")) { try await stranger.connect() }
        #expect(stranger.machine.is1(.errRpc))
        #expect(server.clients.isEmpty)
        server.allow("stranger")
        let net = try await stranger.connect()
        #expect(try await net.add1(.a) == .executed)
        server.disallow("stranger")
        try await stranger.machine.whenNot1(.ready, timeout: .seconds(5))
        await stranger.close()
        await server.stop()
    }

    @Test func wrongTokenIsRefusedAndChangesNothing() async throws {
        let source = Machine(try RPCFixture.noRels(), id: "secret")
        let server = RPCServer(source: source, configuration: .init(token: "s3cret"))
        try await server.start()
        let port = try #require(server.port)
        let intruder = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "op", token: "guess"))
        await #expect(throws: RPCError.unauthorized("wrong token for client op")) { try await intruder.connect() }
        #expect(source.activeStates().isEmpty)
        let op = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "op", token: "s3cret"))
        let net = try await op.connect()
        #expect(try await net.add1(.a) == .executed)
        await op.close()
        await server.stop()
    }

    @Test func frameOverTheMaximumClosesThatConnectionAndTheServerServesTheNext() async throws {
        let logged = LogLines()
        let source = Machine(try RPCFixture.noRels(), id: "big")
        let server = RPCServer(
            source: source, configuration: .init(maximumFrameSize: 1024, logger: logged.logger("server")))
        try await server.start()
        let port = try #require(server.port)
        let raw = try await RawSocket.connect(port: port)
        try raw.send([0x00, 0x10, 0x00, 0x00] + [UInt8](repeating: 7, count: 100))  // claims 1 MiB
        #expect(try raw.readUntilClosed(timeout: .seconds(5)), "the server closed the connection")
        #expect(logged.contains("exceeds the limit of 1024 bytes"))
        let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "next"))
        let net = try await client.connect()
        #expect(try await net.add1(.a) == .executed)
        await client.close()
        await server.stop()
    }

    /// 10,000 random byte strings through the frame decoder and envelope parser: errors,
    /// never a crash.
    @Test func randomBytesNeverCrashTheDecoder() throws {
        var generator = SystemRandomNumberGenerator()
        var decoded = 0
        var refused = 0
        for round in 0..<10_000 {
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandlers([
                ByteToMessageHandler(FrameDecoder(maximumFrameSize: 4096)),
                EnvelopeCodec(maximumFrameSize: 4096),
            ])
            let length = Int.random(in: 0...64, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0 {
                // Half the inputs get a plausible length prefix, so the parser sees them.
                bytes = withUnsafeBytes(of: UInt32(length).bigEndian, Array.init) + bytes
            }
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            do {
                try channel.writeInbound(buffer)
                while let _ = try channel.readInbound(as: WireEnvelope.self) { decoded += 1 }
            } catch {
                refused += 1
            }
            _ = try? channel.finish()
        }
        #expect(decoded + refused > 0)
    }

    @Test func randomBytesOverASocketDoNotStopTheServer() async throws {
        let source = Machine(try RPCFixture.noRels(), id: "fuzzed")
        let server = RPCServer(source: source)
        try await server.start()
        let port = try #require(server.port)
        for _ in 0..<20 {
            let raw = try await RawSocket.connect(port: port)
            let length = Int.random(in: 1...200)
            try? raw.send(withUnsafeBytes(of: UInt32(length).bigEndian, Array.init) + (0..<length).map { _ in UInt8.random(in: 0...255) })
            raw.close()
        }
        let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "after-fuzz"))
        let net = try await client.connect()
        #expect(try await net.add1(.b) == .executed)
        await client.close()
        await server.stop()
    }

    @Test func serverStoppedInTheMiddleOfACallGivesAnErrorNotAHang() async throws {
        // The call fails because the connection closed, not because its timeout ran out:
        // the error says which, so this holds however busy the machine running the tests is.
        let pair = try await RPCPair.make(try RPCFixture.noRels(), client: .init(id: "rc-mid", callTimeout: .seconds(60), reconnect: false))
        pair.source.onState(.d) { _ in usleep(500_000) }
        let call = Task { try await pair.net.add1(.d) }
        try await Task.sleep(for: .milliseconds(100))
        await pair.server.stop()
        do {
            _ = try await call.value
            Issue.record("the call succeeded although the server stopped in the middle of it")
        } catch let error as RPCError {
            if case .timeout = error { Issue.record("the call hung until its timeout: \(error)") }
        }
        await #expect(throws: RPCError.self) { try await pair.net.add1(.a) }
        await pair.client.close()
    }

    @Test func unknownStateIsAClearErrorBeforeAnythingIsSent() async throws {
        let pair = try await RPCPair.make(try RPCFixture.noRels())
        let sent = pair.client.metrics.framesSent
        await #expect(throws: RPCError.unknownState("Nope")) { try await pair.net.add1("Nope") }
        #expect(pair.client.metrics.framesSent == sent)
        await pair.close()
    }

    @Test func byeInBothDirections() async throws {
        let pair = try await RPCPair.make(try RPCFixture.noRels())
        #expect(pair.server.clients == ["rc-test"])
        await pair.client.close()  // client -> server Bye
        try await eventually { pair.server.clients.isEmpty }
        try await pair.server.machine.whenNot1(.hasClients, timeout: .seconds(5))
        #expect(pair.server.machine.tick(.clientDisconnected) == 1)

        let second = RPCClient(host: "127.0.0.1", port: try #require(pair.server.port), configuration: .init(id: "rc-2", reconnect: false))
        _ = try await second.connect()
        await pair.server.stop()  // server -> client Bye
        try await second.machine.whenNot1(.ready, timeout: .seconds(5))
        #expect(second.machine.is1(.disconnected))
        await second.close()
    }

    @Test func schemaGrowthReachesTheMirror() async throws {
        let pair = try await RPCPair.make(try RPCFixture.noRels())
        try pair.source.setSchema(try RPCFixture.noRels().merging(["E": StateSpec()]))
        pair.source.add1("E")
        try await eventually { pair.net.mirror.has1("E") }
        try await pair.net.mirror.when1("E", timeout: .seconds(5))
        #expect(pair.net.mirror.stateNames == pair.source.stateNames)
        await pair.close()
    }
}

/// Polls `condition` every 10 ms for up to 5 s.
func eventually(_ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(5)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw RPCError.timeout("condition never held") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Collects log lines, to check what a server logged.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func logger(_ label: String) -> Logger {
        Logger(label: label) { _ in LineHandler(sink: self) }
    }
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }
}

import Logging

struct LineHandler: LogHandler {
    let sink: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { sink.add(event.message.description) }
}

/// A plain blocking TCP socket, to send bytes no well-behaved client would.
final class RawSocket: Sendable {
    let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    static func connect(port: Int) async throws -> RawSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RPCError.notConnected("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw RPCError.notConnected("connect() failed")
        }
        return RawSocket(fd: fd)
    }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RPCError.connectionClosed("send") }
    }

    /// Reads until the peer closes; true when it did within `timeout`.
    func readUntilClosed(timeout: Duration) throws -> Bool {
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    private let closed = Atomic<Bool>(false)

    /// Closes the socket once: a second close could hit a reused descriptor (one of
    /// NIO's sockets, say) and break someone else's connection.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Glibc.close(fd)
    }

    deinit { close() }
}
