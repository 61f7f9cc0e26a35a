/// A value that can travel in mutation args: every case is serializable, so args can cross
/// a process boundary by construction.
public enum ArgValue: Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case bytes([UInt8])
    case list([ArgValue])
    case map([String: ArgValue])
    case null

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: ArgValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, ArgValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }

    /// The type's name as error messages show it.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .double: "double"
        case .bool: "bool"
        case .bytes: "bytes"
        case .list: "list"
        case .map: "map"
        case .null: "null"
        }
    }

    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): String(b)
        case .bytes(let b): "<\(b.count) bytes>"
        case .list(let l): "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .map(let m): "{" + m.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .null: "null"
        }
    }

    private enum BytesKey: String, CodingKey { case bytes }

    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: BytesKey.self),
            let bytes = try? keyed.decode([UInt8].self, forKey: .bytes), keyed.allKeys.count == 1
        {
            self = .bytes(bytes)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let l = try? container.decode([ArgValue].self) {
            self = .list(l)
        } else {
            self = .map(try container.decode([String: ArgValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .bytes(let b):
            var keyed = encoder.container(keyedBy: BytesKey.self)
            try keyed.encode(b, forKey: .bytes)
        default:
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let s): try container.encode(s)
            case .int(let i): try container.encode(i)
            case .double(let d): try container.encode(d)
            case .bool(let b): try container.encode(b)
            case .list(let l): try container.encode(l)
            case .map(let m): try container.encode(m)
            case .null, .bytes: try container.encodeNil()
            }
        }
    }
}

/// A mutation's arguments: a small map of serializable values with typed accessors.
///
/// A handler reading an argument of the wrong type gets an ``ArgsError``, never a crash:
///
/// ```swift
/// machine.onState(.work) { event in
///     let n = try event.args.int("n")   // throws ArgsError.wrongType if n is a string
/// }
/// ```
public struct Args: Sendable, Hashable, Codable, ExpressibleByDictionaryLiteral, Sequence,
    CustomStringConvertible
{
    public var values: [String: ArgValue]

    public init() { values = [:] }
    public init(_ values: [String: ArgValue]) { self.values = values }
    public init(dictionaryLiteral elements: (String, ArgValue)...) {
        values = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: ArgValue].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    public var isEmpty: Bool { values.isEmpty }
    public var count: Int { values.count }
    public var keys: [String] { values.keys.sorted() }

    public subscript(key: String) -> ArgValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public func makeIterator() -> Dictionary<String, ArgValue>.Iterator { values.makeIterator() }

    /// `other`'s values on top of these.
    public func merging(_ other: Args) -> Args {
        Args(values.merging(other.values) { _, new in new })
    }

    /// True when every key of `other` is here with an equal value.
    public func contains(_ other: Args) -> Bool {
        other.values.allSatisfy { values[$0.key] == $0.value }
    }

    /// `k=v` pairs sorted by key, each value cut to 20 characters, as log lines show them.
    public var description: String {
        values.sorted { $0.key < $1.key }.map { key, value in
            let text = value.description
            return "\(key)=" + (text.count > 20 ? text.prefix(17) + "..." : text)
        }.joined(separator: " ")
    }

    // MARK: Typed accessors

    private func required<T>(_ key: String, _ type: String, _ extract: (ArgValue) -> T?) throws(ArgsError) -> T {
        guard let value = values[key] else { throw .missing(key: key) }
        guard let result = extract(value) else {
            throw .wrongType(key: key, expected: type, actual: value.typeName)
        }
        return result
    }

    private func optional<T>(_ key: String, _ type: String, _ extract: (ArgValue) -> T?) throws(ArgsError) -> T? {
        guard let value = values[key], value != .null else { return nil }
        guard let result = extract(value) else {
            throw .wrongType(key: key, expected: type, actual: value.typeName)
        }
        return result
    }

    private static func asString(_ v: ArgValue) -> String? { if case .string(let s) = v { s } else { nil } }
    private static func asInt(_ v: ArgValue) -> Int? { if case .int(let i) = v { i } else { nil } }
    private static func asBool(_ v: ArgValue) -> Bool? { if case .bool(let b) = v { b } else { nil } }
    private static func asBytes(_ v: ArgValue) -> [UInt8]? { if case .bytes(let b) = v { b } else { nil } }
    private static func asList(_ v: ArgValue) -> [ArgValue]? { if case .list(let l) = v { l } else { nil } }
    private static func asMap(_ v: ArgValue) -> [String: ArgValue]? { if case .map(let m) = v { m } else { nil } }
    private static func asDouble(_ v: ArgValue) -> Double? {
        switch v {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }

    /// The string at `key`; throws when it is missing or not a string.
    public func string(_ key: String) throws(ArgsError) -> String { try required(key, "string", Self.asString) }
    public func int(_ key: String) throws(ArgsError) -> Int { try required(key, "int", Self.asInt) }
    /// A double, or an int widened to a double.
    public func double(_ key: String) throws(ArgsError) -> Double { try required(key, "double", Self.asDouble) }
    public func bool(_ key: String) throws(ArgsError) -> Bool { try required(key, "bool", Self.asBool) }
    public func bytes(_ key: String) throws(ArgsError) -> [UInt8] { try required(key, "bytes", Self.asBytes) }
    public func list(_ key: String) throws(ArgsError) -> [ArgValue] { try required(key, "list", Self.asList) }
    public func map(_ key: String) throws(ArgsError) -> [String: ArgValue] { try required(key, "map", Self.asMap) }

    /// The string at `key`, nil when absent (or null); throws only on a wrong type.
    public func optionalString(_ key: String) throws(ArgsError) -> String? { try optional(key, "string", Self.asString) }
    public func optionalInt(_ key: String) throws(ArgsError) -> Int? { try optional(key, "int", Self.asInt) }
    public func optionalDouble(_ key: String) throws(ArgsError) -> Double? { try optional(key, "double", Self.asDouble) }
    public func optionalBool(_ key: String) throws(ArgsError) -> Bool? { try optional(key, "bool", Self.asBool) }
    public func optionalBytes(_ key: String) throws(ArgsError) -> [UInt8]? { try optional(key, "bytes", Self.asBytes) }
}

/// Why a typed args accessor failed.
public enum ArgsError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(key: String)
    case wrongType(key: String, expected: String, actual: String)
    case invalid(key: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let key): "invalid args: '\(key)' is missing"
        case .wrongType(let key, let expected, let actual): "invalid args: '\(key)' is \(actual), expected \(expected)"
        case .invalid(let key, let reason): "invalid args: '\(key)' \(reason)"
        }
    }
}

/// A typed args struct that converts to and from ``Args`` (the seed's `Pass` and
/// `ParseArgs`). Conversions must be lossless for every field that crosses a process.
public protocol ArgsRepresentable: Sendable {
    init(args: Args) throws(ArgsError)
    var args: Args { get }
}
