/// Where a replay stands, supplied by the replay feed (the model never moves the cursor
/// itself; it asks through ``ReplayRequest`` effects).
public struct ReplayStatus: Sendable, Equatable {
    /// Index of the current transition, 0-based, and how many the recording holds.
    public var position: Int
    public var total: Int
    /// Wall time at the cursor, nanoseconds since the epoch.
    public var time: UInt64
    /// Playback speed as a factor of real time (1 = as recorded).
    public var speed: Double
    /// True while the replay plays by itself.
    public var playing: Bool

    public init(position: Int, total: Int, time: UInt64, speed: Double = 1, playing: Bool = false) {
        self.position = position
        self.total = total
        self.time = time
        self.speed = speed
        self.playing = playing
    }
}
