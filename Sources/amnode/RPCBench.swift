import ArgumentParser
import AsyncMachine
import AsyncMachineRPC
import NIOCore
import NIOPosix
import Synchronization

/// `amnode bench rpc`: aRPC round trips against raw TCP, and the subscribe/get/process
/// scenario of asyncmachine-go's aRPC-vs-gRPC benchmark.
struct RPCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "aRPC over 127.0.0.1: round-trip latency against a raw TCP echo, and subscribe/get/process.",
        discussion: """
            rpc_roundtrip: sequential remote add1 calls of a Multi state with small args; p50 \
            and p99, then a raw NIO echo of the same request and reply sizes over its own \
            connection, measured the same way, and the p50 ratio. subscribe_get_process: the \
            client's mirror waits for each Event, reads the active Value and calls CallOp \
            with it; reports ns, bytes and frames per iteration and the error count (must be \
            0). Exits 1 when a check fails.
            """
    )

    @Option(help: "Sequential calls for rpc_roundtrip (and echoes for the raw baseline).")
    var calls = 10_000

    @Option(help: "Iterations of subscribe_get_process.")
    var iterations = 10_000

    mutating func run() async throws {
        let roundtrip = try await measureRoundtrip(calls: calls)
        print(roundtrip.line)
        let process = try await measureSubscribeGetProcess(iterations: iterations)
        print(process.line)
        if !(roundtrip.ok && process.ok) { throw ExitCode(1) }
    }
}

private struct BenchLine {
    var line: String
    var ok: Bool
}

private func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return Double(sorted[max(0, rank)])
}

// MARK: rpc_roundtrip

extension StateName {
    fileprivate static let ping: Self = "Ping"
}

private func measureRoundtrip(calls: Int) async throws -> BenchLine {
    let source = Machine(try Schema([.ping: StateSpec(multi: true)]), id: "bench-source")
    let server = RPCServer(source: source)
    try await server.start()
    guard let port = server.port else { throw BenchSetupError("no port") }
    let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "rc-bench"))
    let net = try await client.connect()
    let args: Args = ["n": 7]
    for _ in 0..<min(1000, calls / 10 + 1) { _ = try await net.add1(.ping, args) }  // warm-up

    let sentBefore = (client.metrics.framesSent, client.metrics.bytesSent)
    let receivedBefore = (client.metrics.framesReceived, client.metrics.bytesReceived)
    var rpc: [UInt64] = []
    rpc.reserveCapacity(calls)
    var failures = 0
    for _ in 0..<calls {
        let start = nowNanos()
        if try await net.add1(.ping, args) != .executed { failures += 1 }
        rpc.append(nowNanos() - start)
    }
    let requestBytes = (client.metrics.bytesSent - sentBefore.1) / max(1, client.metrics.framesSent - sentBefore.0)
    let replyBytes = (client.metrics.bytesReceived - receivedBefore.1) / max(1, client.metrics.framesReceived - receivedBefore.0)
    let mirrored = net.mirror.tick(.ping) == source.tick(.ping)
    await client.close()
    await server.stop()

    let raw = try await rawEcho(calls: calls, requestBytes: requestBytes, replyBytes: replyBytes)
    rpc.sort()
    let rpcP50 = percentile(rpc, 0.5)
    let rawP50 = percentile(raw, 0.5)
    let ratio = rpcP50 / rawP50
    var line = JSONLine()
    line.add("bench", "rpc")
    line.add("name", "rpc_roundtrip")
    line.add("calls", calls)
    line.add("request_bytes", requestBytes)
    line.add("reply_bytes", replyBytes)
    line.add("rpc_p50_us", rpcP50 / 1000, decimals: 1)
    line.add("rpc_p99_us", percentile(rpc, 0.99) / 1000, decimals: 1)
    line.add("raw_p50_us", rawP50 / 1000, decimals: 1)
    line.add("raw_p99_us", percentile(raw, 0.99) / 1000, decimals: 1)
    line.add("p50_ratio", ratio, decimals: 2)
    line.add("target_p50_ratio", 1.5, decimals: 1)
    line.add("peak_rss_bytes", peakRSSBytes())
    let ok = failures == 0 && mirrored
    line.add("verified", ok)
    return BenchLine(line: line.text, ok: ok)
}

/// A raw NIO echo: the client sends `requestBytes`, the server answers `replyBytes`; the
/// client waits for the reply exactly as an RPC call does (a promise completed on the
/// event loop, awaited from a task).
private func rawEcho(calls: Int, requestBytes: Int, replyBytes: Int) async throws -> [UInt64] {
    let group = MultiThreadedEventLoopGroup.singleton
    let server = try await ServerBootstrap(group: group)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(EchoServerHandler(requestBytes: requestBytes, replyBytes: replyBytes))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let handler = EchoClientHandler(replyBytes: replyBytes)
    let channel = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
        }
        .connect(host: "127.0.0.1", port: server.localAddress?.port ?? 0).get()
    let request = channel.allocator.buffer(repeating: 1, count: requestBytes)
    func once() async throws -> UInt64 {
        let start = nowNanos()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        try await channel.eventLoop.submit { handler.waiting = promise }.get()
        try await channel.writeAndFlush(request)
        try await promise.futureResult.get()
        return nowNanos() - start
    }
    for _ in 0..<min(1000, calls / 10 + 1) { _ = try await once() }
    var times: [UInt64] = []
    times.reserveCapacity(calls)
    for _ in 0..<calls { times.append(try await once()) }
    try await channel.close()
    try await server.close()
    return times.sorted()
}

private final class EchoServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let requestBytes: Int
    let replyBytes: Int
    var pending = 0

    init(requestBytes: Int, replyBytes: Int) {
        self.requestBytes = requestBytes
        self.replyBytes = replyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending += Self.unwrapInboundIn(data).readableBytes
        while pending >= requestBytes {
            pending -= requestBytes
            context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.buffer(repeating: 2, count: replyBytes)), promise: nil)
        }
    }
}

private final class EchoClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let replyBytes: Int
    var received = 0
    // Touched only on the channel's event loop.
    var waiting: EventLoopPromise<Void>?

    init(replyBytes: Int) { self.replyBytes = replyBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += Self.unwrapInboundIn(data).readableBytes
        if received >= replyBytes {
            received -= replyBytes
            waiting?.succeed()
            waiting = nil
        }
    }
}

// MARK: subscribe_get_process

extension StateName {
    fileprivate static let callOp: Self = "CallOp"
    fileprivate static let event: Self = "Event"
    fileprivate static let value1: Self = "Value1"
    fileprivate static let value2: Self = "Value2"
    fileprivate static let value3: Self = "Value3"
}

/// The plain worker object of the Go scenario: it holds a value and counts wrong ops.
private final class Worker: Sendable {
    let value = Atomic<Int>(1)
    let errors = Atomic<Int>(0)
    let calls = Atomic<Int>(0)
}

private func measureSubscribeGetProcess(iterations: Int) async throws -> BenchLine {
    let values: [StateName] = [.value1, .value2, .value3]
    let machine = Machine(
        try Schema([
            .start: StateSpec(),
            .callOp: StateSpec(require: [.start], multi: true),
            .event: StateSpec(require: [.start], multi: true),
            .value1: StateSpec(remove: [.value2, .value3]),
            .value2: StateSpec(remove: [.value1, .value3]),
            .value3: StateSpec(remove: [.value1, .value2]),
        ]), id: "bench-worker")
    let worker = Worker()
    machine.onState(.callOp) { event in
        worker.calls.add(1, ordering: .relaxed)
        if (try? event.args.int("op")) != worker.value.load(ordering: .relaxed) { worker.errors.add(1, ordering: .relaxed) }
        worker.value.store(Int.random(in: 1...3), ordering: .relaxed)
        event.machine.add1(.event)
    }
    machine.onState(.event) { event in
        event.machine.add1(values[worker.value.load(ordering: .relaxed) - 1])
    }
    machine.add1(.start)
    machine.add1(.event)

    let server = RPCServer(source: machine)
    try await server.start()
    guard let port = server.port else { throw BenchSetupError("no port") }
    let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(id: "rc-sgp"))
    let net = try await client.connect()
    let mirror = net.mirror

    func iteration(_ lastEvent: inout UInt64) async throws {
        if mirror.tick(.event) <= lastEvent {
            try await mirror.whenTime([.event], [lastEvent + 2], timeout: .seconds(5))
        }
        lastEvent = mirror.tick(.event)
        guard let active = values.firstIndex(where: { mirror.is1($0) }) else { throw BenchSetupError("no Value active") }
        _ = try await net.add1(.callOp, ["op": .int(active + 1)])
    }

    var lastEvent: UInt64 = 0
    for _ in 0..<min(1000, iterations / 10 + 1) { try await iteration(&lastEvent) }
    let errorsBefore = worker.errors.load(ordering: .relaxed)
    let framesBefore = client.metrics.framesSent + client.metrics.framesReceived
    let bytesBefore = client.metrics.bytesSent + client.metrics.bytesReceived
    let start = nowNanos()
    for _ in 0..<iterations { try await iteration(&lastEvent) }
    let elapsed = nowNanos() - start
    let frames = client.metrics.framesSent + client.metrics.framesReceived - framesBefore
    let bytes = client.metrics.bytesSent + client.metrics.bytesReceived - bytesBefore
    let errors = worker.errors.load(ordering: .relaxed) - errorsBefore
    await client.close()
    await server.stop()

    var line = JSONLine()
    line.add("bench", "rpc")
    line.add("name", "subscribe_get_process")
    line.add("iterations", iterations)
    line.add("ns_per_iteration", Double(elapsed) / Double(iterations), decimals: 0)
    line.add("bytes_per_iteration", Double(bytes) / Double(iterations), decimals: 1)
    line.add("frames_per_iteration", Double(frames) / Double(iterations), decimals: 2)
    line.add("round_trips_per_iteration", Double(frames) / Double(iterations) / 2, decimals: 2)
    line.add("errors", errors)
    line.add("go_bytes_per_op", 115)
    line.add("peak_rss_bytes", peakRSSBytes())
    let ok = errors == 0 && Double(bytes) / Double(iterations) < 115 && frames <= 2 * iterations
    line.add("verified", ok)
    return BenchLine(line: line.text, ok: ok)
}
