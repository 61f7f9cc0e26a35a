/// Why a recording could not be written or read. Every case says what to do next.
public enum RecordingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path exists and the recorder does not overwrite recordings.
    case exists(String)
    /// The file could not be opened, read or written.
    case io(String)
    /// Not a recording (wrong magic bytes).
    case notARecording(String)
    /// Written by a newer format version than this reader knows.
    case newerVersion(found: UInt16, supported: UInt16)
    /// The file ends inside its header: nothing in it can be read.
    case truncatedHeader(String)
    /// A record that does not decode.
    case malformed(String)

    public var description: String {
        switch self {
        case .exists(let path): "\(path) already exists; choose another file or remove it first (recordings are never overwritten)"
        case .io(let message): message
        case .notARecording(let path): "\(path) is not an asyncmachine recording (its first bytes are not the AMREC magic)"
        case .newerVersion(let found, let supported):
            "this recording uses format version \(found), newer than the version \(supported) this build reads; read it with a newer amnode or pooltop"
        case .truncatedHeader(let message): "the recording is cut inside its header: \(message)"
        case .malformed(let message): "malformed record: \(message)"
        }
    }
}
