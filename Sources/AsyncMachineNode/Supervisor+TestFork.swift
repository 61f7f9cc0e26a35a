import AsyncMachine
import AsyncMachineRPC

extension Supervisor {
    /// The seed's TestFork path: the worker starts in this process (through `fork`), so
    /// the supervisor's logic runs without spawning. Exits are what `testKill` reports.
    func bringUpInProcess(
        _ record: WorkerRecord, bootstrap: Bootstrap, fork: @Sendable (String) async throws -> Void, timeout: Duration
    ) async {
        do {
            try await fork(bootstrap.address)
        } catch {
            await bootstrap.stop()
            return failed(record, reason: "test fork failed: \(error)")
        }
        await linkReported(record, bootstrap: bootstrap, process: nil, timeout: timeout)
    }
}
