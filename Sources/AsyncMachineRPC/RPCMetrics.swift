import Synchronization

/// Frames and bytes that crossed a connection (or every connection of a server), length
/// prefixes included. Read at any time; counts only grow.
public final class RPCMetrics: Sendable {
    private let framesSentCount = Atomic<Int>(0)
    private let framesReceivedCount = Atomic<Int>(0)
    private let bytesSentCount = Atomic<Int>(0)
    private let bytesReceivedCount = Atomic<Int>(0)

    public init() {}

    public var framesSent: Int { framesSentCount.load(ordering: .relaxed) }
    public var framesReceived: Int { framesReceivedCount.load(ordering: .relaxed) }
    public var bytesSent: Int { bytesSentCount.load(ordering: .relaxed) }
    public var bytesReceived: Int { bytesReceivedCount.load(ordering: .relaxed) }

    func sent(bytes: Int) {
        framesSentCount.add(1, ordering: .relaxed)
        bytesSentCount.add(bytes, ordering: .relaxed)
    }

    func received(bytes: Int) {
        framesReceivedCount.add(1, ordering: .relaxed)
        bytesReceivedCount.add(bytes, ordering: .relaxed)
    }
}
