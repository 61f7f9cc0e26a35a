import AsyncMachine
import Logging

/// The built-in demo worker behind `amnode worker` and pooltop's embedded pool: a job is
/// WorkRequested with args `{input: Int}`; after `latency` the worker sends its client a
/// payload named "result" holding input squared (or, for a fraction `errorRate` of jobs,
/// activates ErrWork) and goes back to Idle.
public enum DemoWorker {
    /// Runs the demo worker for the supervisor at `bootstrap` until the supervisor goes away.
    public static func run(bootstrap: String, kind: String = "demo", latency: Duration = .milliseconds(10),
                           errorRate: Double = 0, logger: Logger) async throws {
        let worker = try Worker(schema: .worker, configuration: .init(kind: kind, logger: logger))
        worker.machine.onState(.workRequested) { event in
            let input = (try? event.args.int("input")) ?? 0
            let machine = event.machine
            machine.stateContext(.workRequested).task {
                try? await Task.sleep(for: latency)
                if Double.random(in: 0..<1) < errorRate {
                    machine.addErrState(.errWork, DemoWorkError(input: input))
                } else {
                    let (square, overflow) = input.multipliedReportingOverflow(by: input)
                    if overflow {
                        machine.addErrState(.errWork, DemoWorkError(input: input))
                    } else {
                        machine.add1(.clientSendPayload, ["name": "result", "data": .int(square)])
                    }
                }
                machine.add1(.idle)
            }
        }
        try await worker.start(bootstrap: bootstrap)
        await worker.run()
    }
}

/// A demo job that failed on purpose.
public struct DemoWorkError: Error, CustomStringConvertible {
    public let input: Int
    public var description: String { "job \(input) failed (demo error rate)" }
}
