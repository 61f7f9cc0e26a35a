import AsyncMachineNode
import Foundation
import Testing

/// Waits until `condition` holds, polling every 20 ms; records an issue naming `what` and
/// throws when `timeout` passes first.
func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for: \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
