import AsyncMachine

extension ArgValue {
    init(wire: WireValue) {
        switch wire.kind {
        case .string(let s)?: self = .string(s)
        case .int(let i)?: self = .int(Int(truncatingIfNeeded: i))
        case .double(let d)?: self = .double(d)
        case .bool(let b)?: self = .bool(b)
        case .bytes(let b)?: self = .bytes(Array(b))
        case .list(let l)?: self = .list(l.values.map(ArgValue.init(wire:)))
        case .map(let m)?: self = .map(m.entries.mapValues(ArgValue.init(wire:)))
        case .null?, nil: self = .null
        }
    }

    var wire: WireValue {
        var value = WireValue()
        switch self {
        case .string(let s): value.string = s
        case .int(let i): value.int = Int64(i)
        case .double(let d): value.double = d
        case .bool(let b): value.bool = b
        case .bytes(let b): value.bytes = .init(b)
        case .list(let l):
            var list = WireValueList()
            list.values = l.map(\.wire)
            value.list = list
        case .map(let m):
            var map = WireValueMap()
            map.entries = m.mapValues(\.wire)
            value.map = map
        case .null: value.null = true
        }
        return value
    }
}

extension Args {
    package init(wire: [String: WireValue]) {
        self.init(wire.mapValues(ArgValue.init(wire:)))
    }

    var wire: [String: WireValue] { values.mapValues(\.wire) }
}

extension MutationType {
    init(wire: WireMutationType) throws(RPCError) {
        switch wire {
        case .add: self = .add
        case .remove: self = .remove
        case .set: self = .set
        case .UNRECOGNIZED(let raw): throw .protocolViolation("unknown mutation type \(raw)")
        }
    }

    var wire: WireMutationType {
        switch self {
        case .add: .add
        case .remove: .remove
        case .set: .set
        }
    }
}

extension Schema {
    var wire: WireSchema {
        let names = self.names
        var index: [StateName: UInt32] = [:]
        for (i, name) in names.enumerated() { index[name] = UInt32(i) }
        var schema = WireSchema()
        schema.states = states.map { name, spec in
            var def = WireStateDef()
            def.name = name.rawValue
            def.require = spec.require.compactMap { index[$0] }
            def.add = spec.add.compactMap { index[$0] }
            def.remove = spec.remove.compactMap { index[$0] }
            def.after = spec.after.compactMap { index[$0] }
            def.auto = spec.auto
            def.multi = spec.multi
            def.tags = spec.tags
            return def
        }
        return schema
    }

    /// The schema a Welcome or SchemaChange describes; refuses indexes out of range and
    /// schemas that do not validate.
    package init(wire: WireSchema) throws(RPCError) {
        let names = wire.states.map { StateName($0.name) }
        func resolve(_ list: [UInt32], _ owner: String) throws(RPCError) -> [StateName] {
            var out: [StateName] = []
            for i in list {
                guard Int(i) < names.count else { throw .protocolViolation("state \(owner) refers to index \(i) of \(names.count)") }
                out.append(names[Int(i)])
            }
            return out
        }
        var pairs: [(StateName, StateSpec)] = []
        for def in wire.states {
            pairs.append((StateName(def.name), StateSpec(
                require: try resolve(def.require, def.name), add: try resolve(def.add, def.name),
                remove: try resolve(def.remove, def.name), after: try resolve(def.after, def.name),
                auto: def.auto, multi: def.multi, tags: def.tags)))
        }
        do {
            self = try Schema(pairs: pairs)
        } catch {
            throw .protocolViolation("remote schema: \(error)")
        }
    }
}

extension MutationResult {
    init(wire: WireMutationResult) {
        switch wire.result {
        case .executed: self = .executed
        case .queued: self = .queued(wire.queueTick)
        case .failed: self = .failed(.unknownState(StateName(wire.error)))
        default: self = .canceled
        }
    }

    func wire(into result: inout WireMutationResult) {
        switch self {
        case .executed: result.result = .executed
        case .canceled: result.result = .canceled
        case .queued(let tick):
            result.result = .queued
            result.queueTick = tick
        case .failed(let error):
            result.result = .failed
            result.error = "\(error)"
        }
    }
}
