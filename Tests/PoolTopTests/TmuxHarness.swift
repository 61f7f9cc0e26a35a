import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Drives a real program in a real terminal: a tmux session on a private server
/// (`tmux -L <unique socket>`), keys sent with `send-keys`, the screen read with
/// `capture-pane`. See reference/swift-notes.md (e).
///
/// tmux is run with `posix_spawn`, never Foundation.Process: Process waits on a socket
/// end that the tmux server inherits, so `tmux new-session` never "exits" (notes P12).
/// Each spawned tmux gets an empty signal mask, stdin from /dev/null and stdout/stderr
/// in a pipe read here, so nothing reaches the test runner's output.
///
/// Not thread-safe: use one harness from one test. `shutdown()` (also run by `deinit`)
/// kills the private server and everything running in it.
final class TmuxHarness {
    /// The private server's socket name (`tmux -L`).
    let socket: String
    let session: String
    private(set) var width: Int
    private(set) var height: Int
    private var started = false
    private var isShutDown = false

    private static let counter = Atomic<Int>(0)

    init(width: Int = 100, height: Int = 30, session: String = "pooltop") {
        let n = Self.counter.add(1, ordering: .relaxed).newValue
        socket = "pooltop-test-\(getpid())-\(n)-\(UInt32.random(in: 0...UInt32.max))"
        self.session = session
        self.width = width
        self.height = height
    }

    deinit { shutdown() }

    // MARK: - Discovery

    /// The absolute path of `tmux` on PATH, if any.
    static let tmuxPath: String? = findExecutable("tmux")

    /// True when tmux is installed, so the end-to-end tests can run.
    static var isAvailable: Bool { tmuxPath != nil }

    /// The built `pooltop` executable: `$POOLTOP_BIN` if set, else the one beside the
    /// test bundle (the build's `debug` directory, whatever its scratch path), else
    /// `<package>/.build/debug/pooltop`.
    static let pooltopBinary: String? = {
        if let path = ProcessInfo.processInfo.environment["POOLTOP_BIN"], !path.isEmpty {
            return isExecutable(path) ? path : nil
        }
        var directories: [URL] = []
        if let argument0 = ProcessInfo.processInfo.arguments.first {
            directories.append(URL(fileURLWithPath: argument0).deletingLastPathComponent())
        }
        let bundle = Bundle.main.bundleURL
        directories.append(bundle)
        directories.append(bundle.deletingLastPathComponent())
        // macOS: .../debug/Foo.xctest/Contents/MacOS/Foo
        directories.append(bundle.deletingLastPathComponent().deletingLastPathComponent())
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        directories.append(packageRoot.appendingPathComponent(".build/debug"))
        for directory in directories {
            let candidate = directory.appendingPathComponent("pooltop").path
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }()

    /// tmux is installed and `pooltop` is built.
    static var canRunPooltop: Bool { isAvailable && pooltopBinary != nil }

    // MARK: - Session

    /// Starts `command` (a shell command line) in a new detached session of
    /// `width`x`height` with `LANG=C.UTF-8`. When the command ends, the pane prints
    /// `EXIT=<status>` and stays for 5 seconds so `waitForExit` can read it.
    func start(_ command: String, environment: [String: String] = [:]) throws {
        var arguments = ["new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)", "-e", "LANG=C.UTF-8"]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["-e", "\(key)=\(value)"] }
        arguments.append("\(command); echo EXIT=$?; sleep 5")
        try tmux(arguments)
        started = true
    }

    /// Starts `executable` with `arguments`, each quoted for the shell.
    func start(executable: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        try start(([executable] + arguments).map(Self.shellQuote).joined(separator: " "), environment: environment)
    }

    /// Sends keys by tmux name: `"Down"`, `"PageUp"`, `"BTab"`, `"F5"`, `"Enter"`,
    /// `"Escape"`, `"C-c"`, or a single character such as `"q"`.
    func sendKeys(_ keys: String...) throws {
        try tmux(["send-keys", "-t", session] + keys)
    }

    /// Types `text` literally (no key-name lookup), as a user or a paste would.
    func sendText(_ text: String) throws {
        try tmux(["send-keys", "-t", session, "-l", text])
    }

    /// The visible screen as text. With `escapes`, SGR colour and attribute sequences are
    /// kept and trailing spaces too (`capture-pane -e -N`), as `scripts/ansi2png.py` wants.
    func capture(escapes: Bool = false) throws -> String {
        try tmux(["capture-pane", "-p", "-t", session] + (escapes ? ["-e", "-N"] : []))
    }

    /// Polls the screen every 50 ms until `text` shows; returns that screen. Throws
    /// `TmuxError.timedOut` with the last screen in its description otherwise.
    @discardableResult
    func waitFor(text: String, timeout: Duration = .seconds(10)) async throws -> String {
        try await waitFor(timeout: timeout, description: "text \"\(text)\"") { $0.contains(text) }
    }

    /// Polls the screen every 50 ms until `condition` holds for it.
    @discardableResult
    func waitFor(timeout: Duration = .seconds(10), description: String, escapes: Bool = false,
                 _ condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var screen = ""
        while true {
            screen = try capture(escapes: escapes)
            if condition(screen) { return screen }
            if ContinuousClock.now >= deadline { throw TmuxError.timedOut(description, screen: screen) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until the command has ended and returns its exit status (the `EXIT=` line).
    func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32 {
        let screen = try await waitFor(timeout: timeout, description: "EXIT=<status>") { Self.exitStatus(in: $0) != nil }
        return Self.exitStatus(in: screen) ?? -1
    }

    /// Resizes the window; the program gets SIGWINCH (ncurses: `KEY_RESIZE`).
    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", session, "-x", "\(width)", "-y", "\(height)"])
        self.width = width
        self.height = height
    }

    /// Kills the private tmux server and what runs in it. Idempotent.
    func shutdown() {
        guard started, !isShutDown else { return }
        isShutDown = true
        _ = try? Self.run(tmuxArguments(["kill-server"]), timeout: .seconds(5))
        // A killed server can leave its socket file behind.
        let directory = ProcessInfo.processInfo.environment["TMUX_TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        unlink("\(directory)/tmux-\(getuid())/\(socket)")
    }

    static func exitStatus(in screen: String) -> Int32? {
        for line in screen.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("EXIT="), let status = Int32(trimmed.dropFirst(5)) { return status }
        }
        return nil
    }

    /// `text` single-quoted for /bin/sh.
    static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    // MARK: - Running tmux

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let argv = try tmuxArguments(arguments)
        let result = try Self.run(argv, timeout: .seconds(10))
        guard result.status == 0 else { throw TmuxError.commandFailed(argv, status: result.status, output: result.output) }
        return result.output
    }

    private func tmuxArguments(_ arguments: [String]) throws -> [String] {
        guard let tmux = Self.tmuxPath else { throw TmuxError.tmuxNotFound }
        // -f /dev/null: the user's ~/.tmux.conf must not change what tests see.
        return [tmux, "-f", "/dev/null", "-L", socket] + arguments
    }

    struct Output {
        var status: Int32
        var output: String
    }

    /// Runs `argv` (argv[0] an absolute path) with posix_spawn: empty signal mask and
    /// default dispositions, stdin /dev/null, stdout+stderr captured through a pipe,
    /// `TMUX`/`LC_*` removed from the environment and `LANG=C.UTF-8`. Returns when the
    /// process has exited and its output is drained; it does not wait for an end of file
    /// that a daemon (the tmux server) holding the pipe could delay forever. After
    /// `timeout` the process is killed and `TmuxError.timedOut` thrown.
    static func run(_ argv: [String], timeout: Duration) throws -> Output {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TmuxError.spawnFailed(argv.first ?? "", errno: errno) }
        let readEnd = fds[0]
        var writeEnd: Int32? = fds[1]
        defer {
            close(readEnd)
            if let writeEnd { close(writeEnd) }
        }
        // Close-on-exec, so children spawned concurrently by other tests do not inherit them.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key == "TMUX" || key == "TMUX_PANE" || key.hasPrefix("LC_") {
            environment[key] = nil
        }
        environment["LANG"] = "C.UTF-8"
        let cArguments = argv.map { strdup($0) }
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawnError = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments + [nil], cEnvironment + [nil])
        if let end = writeEnd {
            close(end)
            writeEnd = nil
        }
        guard spawnError == 0 else { throw TmuxError.spawnFailed(argv[0], errno: spawnError) }

        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var status: Int32?
        let deadline = ContinuousClock.now + timeout
        while true {
            var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            var endOfFile = false
            if ready > 0 {
                let count = read(readEnd, &buffer, buffer.count)
                if count > 0 {
                    output.append(contentsOf: buffer[0..<count])
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    endOfFile = true
                }
            }
            if status == nil { status = reap(pid, blocking: false) }
            // Done when the process has exited and the pipe is empty or closed.
            if status != nil, endOfFile || ready == 0 { break }
            if endOfFile {
                status = reap(pid, blocking: true)
                break
            }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = reap(pid, blocking: true)
                throw TmuxError.timedOut("\(argv.joined(separator: " ")) to exit", screen: String(decoding: output, as: UTF8.self))
            }
        }
        return Output(status: status ?? -1, output: String(decoding: output, as: UTF8.self))
    }

    /// The exit status (128+n for signal n) once `pid` has ended, else `nil`.
    private static func reap(_ pid: pid_t, blocking: Bool) -> Int32? {
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
            if result == pid { break }
            if result == -1, errno == EINTR { continue }
            if result == -1 { return -1 }  // ECHILD: someone else reaped it
            return nil
        }
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }

    private static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }

    static func isExecutable(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }
}

enum TmuxError: Error, CustomStringConvertible {
    case tmuxNotFound
    case spawnFailed(String, errno: Int32)
    case commandFailed([String], status: Int32, output: String)
    case timedOut(String, screen: String)

    var description: String {
        switch self {
        case .tmuxNotFound:
            return "tmux is not on PATH"
        case .spawnFailed(let path, let code):
            return "cannot start \(path): \(String(cString: strerror(code)))"
        case .commandFailed(let argv, let status, let output):
            return "\(argv.joined(separator: " ")) exited with \(status): \(output)"
        case .timedOut(let what, let screen):
            return "timed out waiting for \(what); the screen was:\n\(screen)"
        }
    }
}
