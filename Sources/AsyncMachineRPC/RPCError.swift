/// Errors of the aRPC layer, as a caller sees them.
public enum RPCError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A frame longer than the configured maximum; the connection is closed.
    case frameTooLarge(size: Int, limit: Int)
    /// Bytes that are not a valid frame or envelope; the connection is closed.
    case malformedFrame(String)
    /// The server refused the token.
    case unauthorized(String)
    /// The server does not allow this client id.
    case forbidden(String)
    /// A call got no answer within its timeout.
    case timeout(String)
    /// No connection (not connected yet, or closed) to send on.
    case notConnected(String)
    /// The connection closed while a call was waiting.
    case connectionClosed(String)
    /// The peer broke the protocol (wrong message, bad index...).
    case protocolViolation(String)
    /// A state name the remote machine does not have.
    case unknownState(String)
    /// The peer speaks another protocol version.
    case versionMismatch(local: UInt32, remote: UInt32)
    /// The server is shutting down or full.
    case unavailable(String)
    /// Any other error the remote side reported.
    case remote(String)

    public var description: String {
        switch self {
        case .frameTooLarge(let size, let limit): "frame of \(size) bytes exceeds the limit of \(limit) bytes"
        case .malformedFrame(let why): "malformed frame: \(why)"
        case .unauthorized(let why): "unauthorized: \(why)"
        case .forbidden(let why): "forbidden: \(why)"
        case .timeout(let what): "timed out: \(what)"
        case .notConnected(let why): "not connected: \(why)"
        case .connectionClosed(let why): "connection closed: \(why)"
        case .protocolViolation(let why): "protocol violation: \(why)"
        case .unknownState(let name): "unknown state: \(name)"
        case .versionMismatch(let local, let remote): "protocol version \(remote) is not \(local)"
        case .unavailable(let why): "unavailable: \(why)"
        case .remote(let why): "remote error: \(why)"
        }
    }
}

/// The protocol version this build speaks (Hello.protocol_version).
public let rpcProtocolVersion: UInt32 = 1

extension RPCError {
    /// The error a remote Error message stands for.
    init(_ wire: WireError) {
        switch wire.code {
        case .unauthorized: self = .unauthorized(wire.message)
        case .forbidden: self = .forbidden(wire.message)
        case .unknownState: self = .unknownState(wire.message)
        case .frameTooLarge: self = .remote("frame too large: \(wire.message)")
        case .version: self = .versionMismatch(local: rpcProtocolVersion, remote: 0)
        case .unavailable: self = .unavailable(wire.message)
        case .badRequest: self = .protocolViolation(wire.message)
        default: self = .remote(wire.message)
        }
    }
}

extension WireError {
    init(_ code: WireErrorCode, _ message: String) {
        self.init()
        self.code = code
        self.message = message
    }
}
