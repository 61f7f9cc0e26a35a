import AsyncMachine
import AsyncMachineRPC

extension Supervisor {
    /// Healthchecks every linked worker now (the operators' "heartbeat now"); a worker
    /// that fails all tries gets an error counted against it.
    public func heartbeatNow() async {
        let (records, c) = state.withLock { s in (Array(s.workers.values), configuration.withLock { $0 }) }
        guard machine.is1(.start) else { return }
        machine.add1(.heartbeat)
        await withTaskGroup(of: Void.self) { group in
            for record in records where record.read({ $0.net != nil && !$0.leaving }) {
                group.addTask { await self.healthcheck(record, c) }
            }
        }
        machine.remove1(.heartbeat)
        updateFlags()
        normalize()
    }

    func startHeartbeat() {
        let interval = configuration.withLock { $0.heartbeat }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                await self.heartbeatNow()
            }
        }
        state.withLock { $0.heartbeat = task }
    }

    /// Up to three tries of adding Healthcheck on the worker, each within OpTimeout,
    /// HealthcheckPause apart.
    private func healthcheck(_ record: WorkerRecord, _ c: Configuration) async {
        guard let net = record.read(\.net) else { return }
        var lastError = "no answer"
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: c.healthcheckPause) }
            let started = ContinuousClock.now
            do {
                let result = try await withTimeout(c.opTimeout) { try await net.add1(.healthcheck) }
                // Executed, or queued behind the worker's own work: either way it answered.
                switch result {
                case .executed, .queued: break
                case .canceled, .failed: throw NodeError.refused("Healthcheck \(result)")
                }
                let roundTrip = ContinuousClock.now - started
                record.update { f in
                    f.lastHealthcheck = .now
                    f.healthcheckRoundTrip = roundTrip
                }
                return
            } catch {
                lastError = "\(error)"
            }
        }
        countError(record, "healthcheck failed: \(lastError)", c)
    }

    /// Counts an error against a worker (kept WorkerErrTtl); at WorkerErrKill errors the
    /// worker is killed, and the pool replaces it.
    func countError(_ record: WorkerRecord, _ reason: String, _ c: Configuration) {
        let count = record.read(\.errors.count) + 1
        record.update { f in
            let now = ContinuousClock.now
            f.errors = f.errors.filter { now - $0 < c.workerErrTtl } + [now]
            f.lastError = reason
            f.hiddenUntil = now + c.workerErrRecent
        }
        machine.addErrState(.errWorker, NodeError.workerExited(reason), ["worker": .string(record.id)])
        updateFlags()
        Task { [weak self] in
            try? await Task.sleep(for: c.workerErrRecent)
            self?.updateFlags()  // the worker may be offered again
        }
        if count >= c.workerErrKill {
            record.update { $0.failure = "\(count) errors: \(reason)" }
            kill(record.id, force: true, counted: true)
        }
    }
}

/// Runs `body`, or throws ``RPCError/timeout(_:)`` as soon as `timeout` passes. (A task
/// group would wait for `body` to finish even after the deadline; here an overdue `body`
/// is cancelled and left to end on its own.)
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { continuation in
        once.set(continuation)
        let work = Task {
            do {
                once.resume(with: .success(try await body()))
            } catch {
                once.resume(with: .failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: timeout)
            if once.resume(with: .failure(RPCError.timeout("no answer within \(timeout)"))) { work.cancel() }
        }
    }
}

import Synchronization

/// A continuation resumed by whichever result comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<T, any Error>) { self.continuation.withLock { $0 = continuation } }

    /// Resumes when nobody did yet; true if this call did.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        guard let taken = continuation.withLock({ c -> CheckedContinuation<T, any Error>? in
            defer { c = nil }
            return c
        }) else { return false }
        taken.resume(with: result)
        return true
    }
}
