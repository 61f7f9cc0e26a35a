import AsyncMachine
import Synchronization
import Testing

/// Keeps every finished transition, with its steps.
fileprivate final class SchemaStepRecorder: Tracer {
    private let list = Mutex<[Transition]>([])
    var wantsSteps: Bool { true }
    func transitionEnd(_ transition: Transition) { list.withLock { $0.append(transition) } }
    var last: Transition? { list.withLock { $0.last } }
}

/// machine-semantics.md §9.9, cases 53-58: schema and utilities.
@Suite struct Conformance9SchemaTests {
    // MARK: Case 53

    @Test func testVerifyStates() throws {
        // VerifyStates is not ported: the state order is the declaration order (D1). The
        // closest check of a given order against the machine's is `import`, which refuses
        // a snapshot whose state list is not exactly the machine's.
        let machine = Fixture.machine(try Fixture.noRels())
        let snapshot = machine.export()
        for names: [StateName] in [["A", "A", "B", "Err"], ["A", "A"], ["A", "B"], ["B", "A", "C", "D", "Exception"]] {
            var bad = snapshot
            bad.stateNames = names
            #expect(throws: ImportError.differentStates) { try machine.import(bad) }
        }
        try machine.import(snapshot)
        #expect(machine.stateNames == [.a, .b, .c, .d, .exception])
        // A schema cannot declare a state twice.
        #expect(throws: SchemaError.duplicateState(.a)) {
            try Schema(pairs: [(.a, StateSpec()), (.a, StateSpec()), (.b, StateSpec())])
        }
        // Growing the schema must keep every state at its index.
        #expect(throws: SchemaChangeError.reordered) {
            try machine.setSchema(try Schema([.b: StateSpec(), .a: StateSpec(), .c: StateSpec(), .d: StateSpec()]))
        }
    }

    @Test func testHas() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        #expect(!machine.has([.a, "Err"]))
        #expect(machine.has([.a, .a, .b]))
        #expect(machine.has(machine.stateNames))
        #expect(machine.has1(.exception))
        #expect(!machine.has1("Err"))
        #expect(machine.schema.has([.a, .a, .b]))
        #expect(!machine.schema.has([.a, "Err"]))
    }

    @Test func testParseStruct() throws {
        // D15: Go's Parse silently turns `A{Remove:[A,B,C], Add:[C], After:[A]}` into
        // `A{Remove:[B], Add:[C]}`; Swift refuses the schema, naming the state and relation.
        #expect(throws: SchemaError.selfReference(state: .a, relation: .remove)) {
            try Fixture.noRels([.a: StateSpec(add: [.c], remove: [.a, .b, .c], after: [.a])])
        }
        #expect(throws: SchemaError.selfReference(state: .a, relation: .after)) {
            try Fixture.noRels([.a: StateSpec(add: [.c], remove: [.b, .c], after: [.a])])
        }
        #expect(throws: SchemaError.conflictingRelations(state: .a, target: .c, .add, .remove)) {
            try Fixture.noRels([.a: StateSpec(add: [.c], remove: [.b, .c])])
        }
        // What Go's Parse produces is accepted as is.
        let schema = try Fixture.noRels([.a: StateSpec(add: [.c], remove: [.b])])
        #expect(schema[.a] == StateSpec(add: [.c], remove: [.b]))
    }

    // MARK: Case 54

    @Test func testExportImport() throws {
        let source = Fixture.machine(try Fixture.noRels(), id: "src")
        source.set([.a, .b])
        source.remove1(.b)
        source.add1(.c)
        let snapshot = source.export()
        #expect(snapshot.id == "src")
        #expect(snapshot.stateNames == [.a, .b, .c, .d, .exception])
        #expect(snapshot.ticks == [1, 2, 1, 0, 0])
        #expect(snapshot.queueTick == source.queueTick)

        // A different machine id is refused.
        let other = Fixture.machine(try Fixture.noRels(), id: "other")
        #expect(throws: ImportError.differentMachine(expected: "other", got: "src")) { try other.import(snapshot) }
        #expect(other.activeStates() == [])

        // Same id: the clock and the active states it implies are restored.
        let copy = Fixture.machine(try Fixture.noRels(), id: "src")
        try copy.import(snapshot)
        #expect(copy.description == source.description)
        #expect(copy.description == "(A:1 C:1)")
        #expect(copy.activeStates() == [.a, .c])
        #expect(copy.time() == source.time())
        // Unlike Go, the queue tick is restored too (documented on `import(_:)`).
        #expect(copy.queueTick == source.queueTick)
        // The restored machine goes on from the imported clock.
        #expect(copy.add1(.b) == .executed)
        #expect(copy.tick(.b) == 3)

        // Import is refused while a transition runs.
        let busy = Box<ImportError?>(nil)
        copy.onState(.d) { e in
            do { try e.machine.import(snapshot) } catch let error as ImportError { busy.value = error } catch {}
        }
        copy.add1(.d)
        #expect(busy.value == .busy)
    }

    // MARK: Case 55

    @Test func testDispose() async throws {
        let machine = Fixture.machine(
            try Schema([.start: StateSpec(), .ready: StateSpec(require: [.start]), .a: StateSpec()]))
        machine.add([.start, .ready, .a])
        let ended = Box<[String]>([])
        machine.onEnd(.ready) { e in ended.update { $0.append(e.name) } }
        machine.onEnd(.start) { e in ended.update { $0.append(e.name) } }
        let callbacks = Box(0)
        machine.onDispose { _ in callbacks.update { $0 += 1 } }
        #expect(!machine.isDisposed)
        machine.dispose()
        await machine.whenDisposed()
        #expect(machine.isDisposed)
        #expect(callbacks.value == 1)
        // Dispose removes Start first, which also ends what requires it.
        #expect(ended.value == ["StartEnd", "ReadyEnd"])
        // Disposing again is harmless; a late callback runs at once.
        machine.dispose()
        machine.onDispose { _ in callbacks.update { $0 += 1 } }
        #expect(callbacks.value == 2)
    }

    @Test func testDisposeForce() throws {
        // DisposeForce is not ported. What it shows, that the callback ran synchronously,
        // holds for `dispose()` outside a transition; from a handler, disposal completes
        // when the current drain ends, before the mutation call returns.
        let machine = Fixture.machine(try Fixture.noRels())
        let ran = Box(false)
        machine.onDispose { _ in ran.value = true }
        machine.dispose()
        #expect(ran.value)
        #expect(machine.isDisposed)

        let inHandler = Fixture.machine(try Fixture.noRels())
        let disposedDuringHandler = Box<Bool?>(nil)
        let ran2 = Box(false)
        inHandler.onDispose { _ in ran2.value = true }
        inHandler.onState(.a) { e in
            e.machine.add1(.b)
            e.machine.dispose()
            disposedDuringHandler.value = e.machine.isDisposed
        }
        inHandler.add1(.a)
        #expect(disposedDuringHandler.value == false)
        #expect(ran2.value)
        #expect(inHandler.isDisposed)
    }

    @Test func testDisposedNoOp() async throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        let ctx = machine.stateContext(.a)
        // A wait pending at disposal is released.
        let pending = Task { () -> Bool in
            do {
                try await machine.when1(.b, timeout: .seconds(5))
                return false
            } catch MachineError.disposed {
                return true
            } catch {
                return false
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        machine.dispose()
        #expect(machine.isDisposed)
        #expect(ctx.isCancelled)
        #expect(await pending.value)

        #expect(machine.add1(.b) == .canceled)
        #expect(machine.add([.b, .c]) == .canceled)
        #expect(machine.remove1(.a) == .canceled)
        #expect(machine.set([.c]) == .canceled)
        #expect(machine.toggle1(.d) == .canceled)
        #expect(machine.addErr(TestFailure()) == .canceled)
        #expect(machine.canAdd1(.b) == .canceled)

        #expect(machine.queueLength == 0)
        #expect(machine.activeStates() == [])
        #expect(machine.clock() == [:])
        #expect(machine.time() == [])
        #expect(machine.tick(.a) == 0)
        #expect(!machine.is1(.a))
        #expect(!machine.has1(.a))
        #expect(!machine.isClock([.a: 1]))
        #expect(machine.stateContext(.a).isCancelled)
        #expect(await machine.eval {} == false)
        // Go: Index1 is -1 and String/Inspect are empty on a disposed machine.
        #expect(machine.index(of: .a) == nil)
        #expect(!machine.description.contains("A:"))
        #expect(!machine.inspect().contains("1 A"))

        // Every wait ends at once.
        await #expect(throws: MachineError.disposed) { try await machine.when1(.a, timeout: .seconds(5)) }
        await #expect(throws: MachineError.disposed) { try await machine.whenNot1(.a, timeout: .seconds(5)) }
        await #expect(throws: MachineError.disposed) { try await machine.whenAny([.b], timeout: .seconds(5)) }
        await #expect(throws: MachineError.disposed) { try await machine.whenTime([.a], [9], timeout: .seconds(5)) }
        await #expect(throws: MachineError.disposed) { try await machine.whenTicks(.a, 2, timeout: .seconds(5)) }
        await #expect(throws: MachineError.disposed) {
            try await machine.whenArgs(.a, ["foo": "bar"], timeout: .seconds(5))
        }
        await #expect(throws: MachineError.disposed) {
            try await machine.whenQuery(timeout: .seconds(5)) { _ in false }
        }
        await #expect(throws: MachineError.disposed) { try await machine.whenErr(timeout: .seconds(5)) }
        await #expect(throws: MachineError.disposed) { try await machine.whenQueue(99, timeout: .seconds(5)) }
        await machine.whenDisposed()
    }

    // MARK: Case 56

    @Test func testGroups() throws {
        // Groups are not ported: the closest feature is state tags, and
        // `Schema.names(taggedWith:)` matching `tag` or `tag:<anything>`, in state order.
        let schema = try Schema([
            .a: StateSpec(tags: ["group:g0"]),
            .b: StateSpec(tags: ["group:g0", "bar"]),
            .c: StateSpec(tags: ["group"]),
            .d: StateSpec(tags: ["groups", "bar:x"]),
            .e: StateSpec(),
        ])
        #expect(schema.names(taggedWith: "group") == [.a, .b, .c])
        #expect(schema.names(taggedWith: "group:g0") == [.a, .b])
        #expect(schema.names(taggedWith: "bar") == [.b, .d])
        #expect(schema.names(taggedWith: "groups") == [.d])
        #expect(schema.names(taggedWith: "none") == [])
        let machine = Fixture.machine(schema)
        #expect(machine.schema.names(taggedWith: "group") == [.a, .b, .c])
    }

    // MARK: Case 57

    @Test func testHandlerStateInfo() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.set([.a])
        #expect(machine.stateNames == [.a, .b, .c, .d, .exception])
        let recorder = SchemaStepRecorder()
        machine.attach(recorder)
        let log = HandlerLog(machine)
        let inEnter = Box<(active: [StateName], targets: [StateName], called: [StateName])?>(nil)
        let inState = Box<(active: [StateName], entered: [StateName], exited: [StateName], called: [StateName])?>(nil)
        machine.onEnter(.d) { e in
            inEnter.value = (e.machine.activeStates(), e.transition.targetStates, e.transition.calledStates)
            return true
        }
        machine.onState(.d) { e in
            let tx = e.transition
            inState.value = (e.machine.activeStates(), tx.enteredStates, tx.exitedStates, tx.calledStates)
        }
        #expect(machine.set([.d]) == .executed)
        #expect(log.take() == seq("AExit DEnter AD AnyEnter AEnd DState AnyState"))

        // In DEnter: active {A}, target {D}, D called.
        let enter = try #require(inEnter.value)
        #expect(enter.active == [.a])
        #expect(enter.targets == [.d])
        #expect(enter.called == [.d])
        // In DState: D was added (C was not), A removed, D called.
        let state = try #require(inState.value)
        #expect(state.active == [.d])
        #expect(state.entered == [.d])
        #expect(state.exited == [.a])
        #expect(state.called == [.d])

        // The transition string of Go (`called D`, `activate D`, `deactivate A`,
        // `handler AExit`) is not ported; the same steps are recorded for tracers.
        let tx = try #require(recorder.last)
        let a = try #require(machine.index(of: .a))
        let d = try #require(machine.index(of: .d))
        #expect(tx.type == .set)
        #expect(Array(tx.steps.prefix(4)) == [
            Step(kind: .called, to: d),
            Step(kind: .activate, to: d),
            Step(kind: .deactivate, to: a),
            Step(kind: .handler, handler: "AExit"),
        ])
    }

    // MARK: Case 58

    @Test func testLogArgs() throws {
        // Log lines and the args mapper are not ported: args print as `k=v` pairs, sorted
        // by key, values cut to 20 characters (17 + "...").
        let args: Args = ["arg": "foofoofoo", "arg2": 5]
        #expect(args.description == "arg=foofoofoo arg2=5")
        let long: Args = ["b": "x", "a": .string(String(repeating: "fo", count: 15))]
        #expect(long.description == "a=" + String(repeating: "fo", count: 8) + "f... b=x")
    }

    @Test func testNewArgsMapper() throws {
        // The args mapper is not ported; the fixed 20-character cut applies to every value.
        let exact: Args = ["k": .string(String(repeating: "x", count: 20))]
        #expect(exact.description == "k=" + String(repeating: "x", count: 20))
        let over: Args = ["k": .string(String(repeating: "x", count: 21))]
        #expect(over.description == "k=" + String(repeating: "x", count: 17) + "...")
        #expect(Args().description == "")
    }

    @Test func testTimeMethods() throws {
        // The `Time` type is not ported (clocks are `[UInt64]`); its checks map to the
        // machine's: drive A, B, C to the ticks {2, 1, 3} and query them.
        let machine = Fixture.machine(try Fixture.noRels())
        machine.add1(.a)
        machine.remove1(.a)
        machine.add1(.b)
        machine.add1(.c)
        machine.remove1(.c)
        machine.add1(.c)
        let t = machine.time([.a, .b, .c])
        #expect(t == [2, 1, 3])
        #expect(machine.is1(.b))
        #expect(!machine.is1("Missing"))
        #expect(machine.is([.b]))
        #expect(!machine.is(["Missing"]))
        #expect(machine.any1(.b))
        #expect(machine.any1(.c))
        #expect(!machine.any1(.a))
        #expect(t.map(isActiveTick) == [false, true, true])
        #expect(machine.activeStates() == [.b, .c])
    }

    @Test func testIsActiveTick() {
        #expect(isActiveTick(6_548_735))
        #expect(!isActiveTick(6_548_734))
        #expect(!isActiveTick(0))
        #expect(isActiveTick(1))
    }
}
