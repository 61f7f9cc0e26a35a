import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import CProcessSupport

/// Watches children from one thread blocked in `epoll_wait`: each child's pidfd becomes
/// readable the moment it exits, and its stderr pipe is read as it writes. An exited
/// child is reaped at once and reported. Where pidfds are unavailable, a thread per
/// child blocks in `waitpid` instead.
final class ChildWatcher: Sendable {
    private struct Watched: Sendable {
        let process: LaunchedProcess
        let stderr: Int32
        var tail: [UInt8] = []
        let onExit: @Sendable (ProcessExit) -> Void
    }

    private static let tailLimit = 4096
    private let epoll: Int32
    /// Keyed by file descriptor: the pidfd (exit) and the stderr pipe (output) of each child.
    private let byPidfd = Mutex<[Int32: Watched]>([:])
    private let pidfdOfStderr = Mutex<[Int32: Int32]>([:])
    private let started = Atomic<Bool>(false)

    init() { epoll = cps_epoll_create() }

    func watch(_ process: LaunchedProcess, stderr: Int32, onExit: @escaping @Sendable (ProcessExit) -> Void) {
        let pidfd = cps_pidfd_open(process.pid)
        guard pidfd >= 0, epoll >= 0 else {
            watchWithThread(process, stderr: stderr, onExit: onExit)
            return
        }
        byPidfd.withLock { $0[pidfd] = Watched(process: process, stderr: stderr, onExit: onExit) }
        pidfdOfStderr.withLock { $0[stderr] = pidfd }
        add(pidfd)
        add(stderr)
        if !started.exchange(true, ordering: .acquiringAndReleasing) {
            let thread = Thread { [self] in run() }
            thread.start()
        }
    }

    private func add(_ fd: Int32) { _ = cps_epoll_add(epoll, fd) }

    private func run() {
        var ready = [Int32](repeating: 0, count: 32)
        while true {
            let n = cps_epoll_wait(epoll, &ready, Int32(ready.count))
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            for i in 0..<Int(n) {
                let fd = ready[i]
                if let pidfd = pidfdOfStderr.withLock({ $0[fd] }) {
                    drain(stderr: fd, pidfd: pidfd)
                } else {
                    reap(pidfd: fd)
                }
            }
        }
    }

    private func drain(stderr fd: Int32, pidfd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 {
                byPidfd.withLock { all in
                    guard var watched = all[pidfd] else { return }
                    watched.tail += buffer[0..<n]
                    if watched.tail.count > Self.tailLimit { watched.tail.removeFirst(watched.tail.count - Self.tailLimit) }
                    all[pidfd] = watched
                }
                continue
            }
            if n == 0 {
                // EOF: the child closed stderr (usually by exiting); stop watching the pipe.
                _ = cps_epoll_remove(epoll, fd)
            }
            return
        }
    }

    private func reap(pidfd: Int32) {
        guard let watched = byPidfd.withLock({ $0[pidfd] }) else { return }
        drain(stderr: watched.stderr, pidfd: pidfd)
        var status: Int32 = 0
        let reaped = waitpid(watched.process.pid, &status, WNOHANG)
        guard reaped == watched.process.pid else { return }  // not yet: epoll will say again
        _ = cps_epoll_remove(epoll, pidfd)
        _ = cps_epoll_remove(epoll, watched.stderr)
        let tail = byPidfd.withLock { $0.removeValue(forKey: pidfd)?.tail } ?? []
        pidfdOfStderr.withLock { $0[watched.stderr] = nil }
        close(pidfd)
        close(watched.stderr)
        report(watched.process, status: status, tail: tail, onExit: watched.onExit)
    }

    private func watchWithThread(_ process: LaunchedProcess, stderr: Int32, onExit: @escaping @Sendable (ProcessExit) -> Void) {
        let thread = Thread {
            var tail: [UInt8] = []
            var status: Int32 = 0
            while waitpid(process.pid, &status, 0) < 0 && errno == EINTR {}
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(stderr, &buffer, buffer.count)
                if n <= 0 { break }
                tail += buffer[0..<n]
            }
            close(stderr)
            self.report(process, status: status, tail: Array(tail.suffix(Self.tailLimit)), onExit: onExit)
        }
        thread.start()
    }

    private func report(_ process: LaunchedProcess, status: Int32, tail: [UInt8], onExit: @escaping @Sendable (ProcessExit) -> Void) {
        let signaled = status & 0x7f != 0 && status & 0x7f != 0x7f
        let exit = ProcessExit(
            pid: process.pid, exitCode: signaled ? nil : (status >> 8) & 0xff, signal: signaled ? status & 0x7f : nil,
            stderrTail: String(decoding: tail, as: UTF8.self))
        process.exited(exit)
        DispatchQueue.global().async { onExit(exit) }
    }
}

import Foundation
