import AsyncMachine
#if canImport(Glibc)
import Glibc
#endif
import AsyncMachineRPC
import NIOCore
import NIOEmbedded

/// libFuzzer entry: one input is fed to the frame decoder and envelope parser as a byte
/// stream, and also parsed directly as an envelope whose schema, args and clock are then
/// converted as a client would. Any outcome but a crash is a pass.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    feedStream(bytes)
    parseEnvelope(bytes)
    return 0
}

private func feedStream(_ bytes: [UInt8]) {
    let channel = EmbeddedChannel()
    do {
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(FrameDecoder(maximumFrameSize: 1 << 16)),
            EnvelopeCodec(maximumFrameSize: 1 << 16),
        ])
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try channel.writeInbound(buffer)
        while let envelope = try channel.readInbound(as: WireEnvelope.self) { use(envelope) }
    } catch {
        // Refused input: exactly what must happen to garbage.
    }
    _ = try? channel.finish()
}

private func parseEnvelope(_ bytes: [UInt8]) {
    let allocator = ByteBufferAllocator()
    var frame = allocator.buffer(capacity: bytes.count)
    frame.writeBytes(bytes)
    guard let envelope = try? Envelopes.decode(&frame) else { return }
    use(envelope)
    _ = try? Envelopes.encode(envelope, allocator: allocator, limit: 1 << 16)
}

/// Converts what a client or server would convert from a decoded envelope.
private func use(_ envelope: WireEnvelope) {
    switch envelope.body {
    case .welcome(let welcome)?:
        if welcome.hasSchema, let schema = try? Schema(wire: welcome.schema) {
            _ = Machine(schema, id: "fuzz")
        }
    case .schemaChange(let change)?:
        _ = try? Schema(wire: change.schema)
    case .mutation(let mutation)?:
        _ = Args(wire: mutation.args)
    case .payload(let payload)?:
        _ = Args(wire: ["data": payload.data])
    default:
        break
    }
}

#if FUZZING
import CFuzzerDriver

/// With libFuzzer (-sanitize=fuzzer -DFUZZING): hands the command line to its driver.
@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzzOneInput(data ?? UnsafePointer(bitPattern: 1)!, size)
        }
        exit(status)
    }
}
#else
import Foundation

/// One line of the replay tool's output.
private func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Without libFuzzer: replays the inputs named on the command line (crash reproducers).
@main
struct Replay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                report("cannot open \(path)")
                continue
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&chunk, 1, chunk.count, file)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            fclose(file)
            _ = bytes.withUnsafeBufferPointer { fuzzOneInput($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            report("ok \(path) (\(bytes.count) bytes)")
        }
    }
}
#endif
