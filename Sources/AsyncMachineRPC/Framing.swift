import NIOCore
import SwiftProtobuf

/// Splits the byte stream into frames: a 4-byte big-endian length, then that many bytes.
/// A frame longer than `maximumFrameSize` is an error (the connection is then closed):
/// the decoder never buffers more than the limit for one frame.
package struct FrameDecoder: ByteToMessageDecoder {
    package typealias InboundOut = ByteBuffer

    package let maximumFrameSize: Int

    package init(maximumFrameSize: Int) { self.maximumFrameSize = maximumFrameSize }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= maximumFrameSize else {
            throw RPCError.frameTooLarge(size: Int(length), limit: maximumFrameSize)
        }
        guard let frame = buffer.readLengthPrefixedSlice(as: UInt32.self) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A partial frame at EOF is dropped: the peer went away mid-write.
        try decode(context: context, buffer: &buffer)
    }
}

/// Frames in, envelopes out (and the reverse). Malformed envelopes are errors that close
/// the connection; they never crash the process.
package final class EnvelopeCodec: ChannelDuplexHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = WireEnvelope
    package typealias OutboundIn = WireEnvelope
    package typealias OutboundOut = ByteBuffer

    let maximumFrameSize: Int
    let metrics: RPCMetrics?

    package init(maximumFrameSize: Int, metrics: RPCMetrics? = nil) {
        self.maximumFrameSize = maximumFrameSize
        self.metrics = metrics
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = Self.unwrapInboundIn(data)
        metrics?.received(bytes: frame.readableBytes + 4)
        do {
            let envelope = try Envelopes.decode(&frame)
            context.fireChannelRead(Self.wrapInboundOut(envelope))
        } catch {
            context.fireErrorCaught(error)
        }
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let envelope = Self.unwrapOutboundIn(data)
        do {
            let buffer = try Envelopes.encode(envelope, allocator: context.channel.allocator, limit: maximumFrameSize)
            metrics?.sent(bytes: buffer.readableBytes)
            context.write(Self.wrapOutboundOut(buffer), promise: promise)
        } catch {
            promise?.fail(error)
        }
    }
}

/// Envelope <-> frame bytes.
package enum Envelopes {
    /// Decodes one envelope from a frame's bytes.
    package static func decode(_ frame: inout ByteBuffer) throws -> WireEnvelope {
        let bytes = frame.readBytes(length: frame.readableBytes) ?? []
        do {
            return try WireEnvelope(serializedBytes: bytes)
        } catch {
            throw RPCError.malformedFrame("not an Envelope (\(bytes.count) bytes): \(error)")
        }
    }

    /// Encodes one envelope as a whole frame (length prefix included).
    package static func encode(_ envelope: WireEnvelope, allocator: ByteBufferAllocator, limit: Int) throws -> ByteBuffer {
        let bytes: [UInt8] = try envelope.serializedBytes()
        guard bytes.count <= limit else { throw RPCError.frameTooLarge(size: bytes.count, limit: limit) }
        var buffer = allocator.buffer(capacity: 4 + bytes.count)
        buffer.writeInteger(UInt32(bytes.count))
        buffer.writeBytes(bytes)
        return buffer
    }
}
