import Logging

/// A tracer that logs every transition with swift-log, one line each:
///
/// `[worker-1] [add] Busy -> +Busy -Idle (n=3)` or `[worker-1] [cancel] add Busy`.
///
/// Accepted transitions log at `level`, cancelled ones one level lower (less severe).
public final class LoggingTracer: Tracer {
    public let logger: Logger
    public let level: Logger.Level

    public init(logger: Logger = Logger(label: "asyncmachine.transitions"), level: Logger.Level = .debug) {
        self.logger = logger
        self.level = level
    }

    public func transitionEnd(_ tx: Transition) {
        let called = tx.calledStates.map(\.rawValue).joined(separator: " ")
        let kind = tx.isAuto ? "auto" : tx.isCheck ? "check" : tx.type.rawValue
        guard tx.isAccepted, tx.result != .canceled || !tx.enters.isEmpty || !tx.exits.isEmpty else {
            let quieter = Logger.Level.allCases.firstIndex(of: level).map { max(0, $0 - 1) } ?? 0
            logger.log(level: Logger.Level.allCases[quieter], "[\(tx.machineId)] [cancel] \(kind) \(called)")
            return
        }
        var changes: [String] = tx.enters.map { "+" + tx.stateNames[$0].rawValue }
        changes += tx.exits.map { "-" + tx.stateNames[$0].rawValue }
        var line = "[\(tx.machineId)] [\(kind)] \(called) -> \(changes.joined(separator: " "))"
        if !tx.args.isEmpty { line += " (\(tx.args))" }
        if let result = tx.result, result != .executed { line += " [\(result)]" }
        logger.log(level: level, "\(line)")
    }
}
