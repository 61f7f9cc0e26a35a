/// A `TerminalBackend` without a terminal, for tests of code that runs a dashboard loop:
/// it keeps every frame drawn and hands out queued keys. Not thread-safe; use it on one
/// thread or task, like the real backend.
public final class MemoryTerminal: TerminalBackend {
    public private(set) var size: TerminalSize
    /// Every frame passed to `draw`, oldest first.
    public private(set) var frames: [Screen] = []
    /// Keys `readKey` returns, front first. When empty, `readKey` returns `nil`.
    public var pendingKeys: [Key]
    public private(set) var isClosed = false

    public init(width: Int = 80, height: Int = 24, keys: [Key] = []) {
        size = TerminalSize(width: width, height: height)
        pendingKeys = keys
    }

    /// The last frame drawn.
    public var lastFrame: Screen? { frames.last }

    /// Changes the size and queues `.resize`, as a real terminal does.
    public func resize(width: Int, height: Int) {
        size = TerminalSize(width: width, height: height)
        pendingKeys.append(.resize)
    }

    public func draw(_ screen: Screen) {
        guard !isClosed else { return }
        frames.append(screen)
    }

    public func readKey(timeoutMilliseconds: Int) -> Key? {
        guard !isClosed, !pendingKeys.isEmpty else { return nil }
        return pendingKeys.removeFirst()
    }

    public func close() { isClosed = true }
}
