import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process for end-to-end tests: spawned with posix_spawn (default signal mask
/// and dispositions), stdout captured through a pipe, killed and reaped on `stop()`.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let output = OutputBuffer()
    private let reaped = Mutex<Bool>(false)

    /// The package's build folder binary, for example `amnode` (built by `swift build`).
    static func builtBinary(_ name: String, file: String = #filePath) -> String? {
        let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for config in ["debug", "release"] {
            let path = root.appendingPathComponent(".build/\(config)/\(name)").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    init(_ path: String, _ arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO)
        // stderr too: a child must not hold the test runner's own output pipe, or a test
        // process that dies leaves the runner waiting for that pipe to close.
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        close(fds[1])
        guard status == 0 else {
            close(fds[0])
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .ENOENT)
        }
        self.pid = pid
        let fd = fds[0]
        // The reader owns the pipe: it reads until the child's end closes (the child
        // exited) and only then closes it, so no other thread can close a descriptor
        // number this thread might still read (it could belong to a new socket by then).
        let output = self.output
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                output.withLock { $0 += text }
            }
            close(fd)
        }
    }

    var stdout: String { output.withLock { $0 } }


    /// Waits until stdout contains a match of `pattern`'s first capture group.
    func waitForOutput(_ pattern: String, timeout: Duration = .seconds(30)) async throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = stdout
            if let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                let range = Range(match.range(at: 1), in: text)
            {
                return String(text[range])
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw POSIXError(.ETIMEDOUT)
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Kills (SIGKILL) and reaps the child; returns its wait status.
    @discardableResult
    func stop() -> Int32 {
        guard !reaped.withLock({ $0 }) else { return 0 }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        reaped.withLock { $0 = true }
        return status
    }

    deinit { stop() }
}

/// The captured stdout of a child, shared with its reader thread.
final class OutputBuffer: Sendable {
    private let text = Mutex<String>("")
    func withLock<T: Sendable>(_ body: (inout String) -> T) -> T { text.withLock { body(&$0) } }
}
