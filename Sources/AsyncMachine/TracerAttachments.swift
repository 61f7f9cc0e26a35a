import Synchronization

/// The machines a tracer attached itself to, so that it can let go of all of them when its
/// owner stops (a recorder closing, an operator endpoint stopping): nothing keeps being
/// traced by something that is gone. Holds the machines weakly.
public final class TracerAttachments: Sendable {
    private struct Entry: @unchecked Sendable {
        weak var machine: Machine?
    }

    private let entries = Mutex<(list: [Entry], closed: Bool)>(([], false))

    public init() {}

    /// Attaches `tracer` to `machine`, unless ``detachAll(_:)`` already ran; false then.
    @discardableResult
    public func attach(_ tracer: any Tracer, to machine: Machine) -> Bool {
        let open = entries.withLock { e -> Bool in
            guard !e.closed else { return false }
            e.list.removeAll { $0.machine == nil }
            e.list.append(Entry(machine: machine))
            return true
        }
        if open { machine.attach(tracer) }
        return open
    }

    /// Detaches `tracer` from every machine it was attached to here; later ``attach(_:to:)``
    /// calls do nothing.
    public func detachAll(_ tracer: any Tracer) {
        let machines = entries.withLock { e -> [Machine] in
            defer {
                e.list = []
                e.closed = true
            }
            return e.list.compactMap(\.machine)
        }
        for machine in machines { machine.detach(tracer) }
    }
}
