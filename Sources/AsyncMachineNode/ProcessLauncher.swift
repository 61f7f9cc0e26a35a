import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import CProcessSupport

/// Why a process could not be started.
public enum LaunchError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyCommand
    /// The program does not exist.
    case notFound(String)
    /// The program exists but cannot be executed.
    case notExecutable(String)
    case spawnFailed(String, errno: Int32)

    public var description: String {
        switch self {
        case .emptyCommand: "no command to run"
        case .notFound(let path): "worker command not found: \(path)"
        case .notExecutable(let path): "worker command is not executable: \(path)"
        case .spawnFailed(let path, let errno): "could not start \(path): \(String(cString: strerror(errno)))"
        }
    }
}

/// How a process ended.
public struct ProcessExit: Sendable, Equatable, CustomStringConvertible {
    public let pid: Int32
    /// The exit code, when it exited.
    public let exitCode: Int32?
    /// The signal, when a signal killed it.
    public let signal: Int32?
    /// The last (up to 4 KiB) of what it wrote to stderr.
    public let stderrTail: String

    public var isSuccess: Bool { exitCode == 0 }

    public var description: String {
        let how = exitCode.map { "exited with code \($0)" } ?? signal.map { "killed by signal \($0)" } ?? "ended"
        let tail = stderrTail.split(separator: "\n").last.map { ": \($0)" } ?? ""
        return "process \(pid) \(how)\(tail)"
    }
}

/// A started child process. Its exit is noticed at once (not by polling) and it is
/// reaped by the launcher, so it never lingers as a zombie.
public final class LaunchedProcess: Sendable {
    public let pid: Int32
    public let command: [String]
    private let state = Mutex<(exit: ProcessExit?, waiters: [CheckedContinuation<ProcessExit, Never>])>((nil, []))

    init(pid: Int32, command: [String]) {
        self.pid = pid
        self.command = command
    }

    /// How it ended, once it has.
    public var exit: ProcessExit? { state.withLock { $0.exit } }
    public var isRunning: Bool { exit == nil }

    /// Sends SIGTERM (asks it to stop).
    public func terminate() { signal(SIGTERM) }

    /// Sends SIGKILL.
    public func forceKill() { signal(SIGKILL) }

    public func signal(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// Waits until it has exited and been reaped.
    public func waitForExit() async -> ProcessExit {
        await withCheckedContinuation { continuation in
            let exit = state.withLock { s -> ProcessExit? in
                if let exit = s.exit { return exit }
                s.waiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }

    /// SIGTERM, up to `grace` to exit, then SIGKILL; returns once it has been reaped.
    @discardableResult
    public func stop(grace: Duration) async -> ProcessExit {
        terminate()
        let waiter = Task { await waitForExit() }
        let killer = Task {
            try await Task.sleep(for: grace)
            forceKill()
        }
        let exit = await waiter.value
        killer.cancel()
        return exit
    }

    func exited(_ exit: ProcessExit) {
        let waiters = state.withLock { s -> [CheckedContinuation<ProcessExit, Never>] in
            s.exit = exit
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: exit) }
    }
}

/// Starts processes with `posix_spawn` (a default signal mask and dispositions, whatever
/// thread calls it), stdout to /dev/null or inherited, stderr captured, and watches them.
public final class ProcessLauncher: Sendable {
    /// The process-wide launcher.
    public static let shared = ProcessLauncher()

    private let watcher = ChildWatcher()

    public init() {}

    /// Starts `command` (an absolute or relative path, or a name found in PATH, then
    /// arguments). `onExit` runs (on a background queue) when it ends, however it ends.
    public func launch(
        _ command: [String], environment: [String: String]? = nil, inheritStdout: Bool = false,
        onExit: @escaping @Sendable (ProcessExit) -> Void = { _ in }
    ) throws(LaunchError) -> LaunchedProcess {
        guard let program = command.first, !program.isEmpty else { throw .emptyCommand }
        let path = try Self.resolve(program)
        var stderrPipe: [Int32] = [0, 0]
        guard pipe(&stderrPipe) == 0 else { throw .spawnFailed(path, errno: errno) }
        _ = fcntl(stderrPipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(stderrPipe[0], F_SETFL, fcntl(stderrPipe[0], F_GETFL) | O_NONBLOCK)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if !inheritStdout { posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) }
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], STDERR_FILENO)
        posix_spawn_file_actions_addclose(&actions, stderrPipe[1])

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A thread of a Swift process can have signals blocked; children must not inherit that.
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { env in
            env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { envp?.forEach { free($0) } }

        var pid: pid_t = 0
        let status: Int32 =
            if let envp {
                envp.withUnsafeBufferPointer { posix_spawn(&pid, path, &actions, &attributes, argv, UnsafeMutablePointer(mutating: $0.baseAddress)) }
            } else {
                posix_spawn(&pid, path, &actions, &attributes, argv, environ)
            }
        close(stderrPipe[1])
        guard status == 0 else {
            close(stderrPipe[0])
            throw status == ENOENT ? .notFound(path) : status == EACCES ? .notExecutable(path) : .spawnFailed(path, errno: status)
        }
        let process = LaunchedProcess(pid: pid, command: command)
        watcher.watch(process, stderr: stderrPipe[0], onExit: onExit)
        return process
    }

    /// A program name becomes a path: as given when it has a slash, else the first match
    /// in PATH.
    static func resolve(_ program: String) throws(LaunchError) -> String {
        if program.contains("/") {
            guard access(program, F_OK) == 0 else { throw .notFound(program) }
            guard access(program, X_OK) == 0 else { throw .notExecutable(program) }
            return program
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw .notFound(program)
    }
}

extension ProcessLauncher {
    /// The running program's path (from /proc/self/exe), so a tool can start itself as a
    /// worker (`amnode worker`, `pooltop worker`) whatever directory it was run from.
    public static func ownExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
