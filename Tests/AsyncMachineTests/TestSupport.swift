import AsyncMachine
import Synchronization
import Testing

extension StateName {
    static let a: StateName = "A"
    static let b: StateName = "B"
    static let c: StateName = "C"
    static let d: StateName = "D"
    static let e: StateName = "E"
}

/// Fixtures of machine-semantics.md: `NoRels` is A, B, C, D without relations; `Rels` is
/// `A{Auto, Require C}, B{Multi, Add C}, C{After D}, D{Add C, B}`. `Exception` is appended.
enum Fixture {
    static func noRels(_ overrides: KeyValuePairs<StateName, StateSpec> = [:]) throws -> Schema {
        var pairs: [(StateName, StateSpec)] = [(.a, StateSpec()), (.b, StateSpec()), (.c, StateSpec()), (.d, StateSpec())]
        for (name, spec) in overrides {
            if let i = pairs.firstIndex(where: { $0.0 == name }) { pairs[i].1 = spec } else { pairs.append((name, spec)) }
        }
        return try Schema(pairs: pairs)
    }

    static func rels() throws -> Schema {
        try Schema([
            .a: StateSpec(require: [.c], auto: true),
            .b: StateSpec(add: [.c], multi: true),
            .c: StateSpec(after: [.d]),
            .d: StateSpec(add: [.c, .b]),
        ])
    }

    /// A machine with the handler timeout off, so slow CI machines do not cancel
    /// transitions of tests that are not about timeouts.
    static func machine(_ schema: Schema, id: String = "test") -> Machine {
        Machine(schema, id: id, configuration: Machine.Configuration(handlerTimeout: nil))
    }
}

/// Records the name of every handler that runs, in order (`AEnter`, `AB`, `AnyState`...).
/// Registers enter, exit, state, end, every pair and self handler, AnyEnter and AnyState
/// for every state of the machine; `vetoes` names negotiation handlers that return false.
final class HandlerLog: Sendable {
    private let names = Mutex<[String]>([])
    private let vetoes: Set<String>

    init(_ machine: Machine, vetoes: Set<String> = []) {
        self.vetoes = vetoes
        let states = machine.stateNames
        for s in states {
            machine.onEnter(s) { [self] e in record(e) }
            machine.onExit(s) { [self] e in record(e) }
            machine.onState(s) { [self] e in _ = record(e) }
            machine.onEnd(s) { [self] e in _ = record(e) }
            for t in states { machine.on(from: s, to: t) { [self] e in record(e) } }
        }
        machine.onAnyEnter { [self] e in record(e) }
        machine.onAnyState { [self] e in _ = record(e) }
    }

    @discardableResult
    private func record(_ event: Event) -> Bool {
        names.withLock { $0.append(event.name) }
        return !vetoes.contains(event.name)
    }

    /// Everything recorded so far, then cleared.
    func take() -> [String] {
        names.withLock { list in
            defer { list = [] }
            return list
        }
    }

    var all: [String] { names.withLock { $0 } }
}

/// "a b c" -> ["a", "b", "c"], to write expected handler orders as in the notes.
func seq(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

/// True when `needles` appear in `haystack` in that relative order (Go's assertOrder).
func containsInOrder(_ haystack: [String], _ needles: [String]) -> Bool {
    var i = haystack.startIndex
    for needle in needles {
        guard let found = haystack[i...].firstIndex(of: needle) else { return false }
        i = haystack.index(after: found)
    }
    return true
}

/// An error for handlers to throw.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String = "test failure") { self.description = description }
}

/// A value shared between handlers, tasks, threads and the test.
final class Box<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
    func update(_ body: (inout Value) -> Void) { storage.withLock { body(&$0) } }
}
