#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic nanoseconds.
func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Peak resident set size of this process, in bytes: `VmHWM` from /proc/self/status,
/// which (unlike `getrusage`'s maximum) starts afresh at `exec`, so the figure is not
/// inflated by a launcher such as `swift run`.
func peakRSSBytes() -> Int {
    #if os(Linux)
    return procStatusBytes("self", "VmHWM")
    #else
    var usage = rusage()
    getrusage(RUSAGE_SELF, &usage)
    return Int(usage.ru_maxrss)
    #endif
}

/// A size field (`VmHWM`, `VmRSS`...) of /proc/<pid>/status, in bytes; 0 when unreadable.
func procStatusBytes(_ pid: String, _ field: String) -> Int {
    guard let status = try? readFile("/proc/\(pid)/status") else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
    }
    return 0
}

/// Reads a whole (small) file as UTF-8.
func readFile(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw BenchSetupError("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// One JSON line, keys in the given order (JSONSerialization sorts nothing we need).
struct JSONLine {
    private var fields: [(String, String)] = []

    mutating func add(_ key: String, _ value: String) { fields.append((key, "\"" + escape(value) + "\"")) }
    mutating func add(_ key: String, _ value: Int) { fields.append((key, String(value))) }
    mutating func add(_ key: String, _ value: Bool) { fields.append((key, value ? "true" : "false")) }
    mutating func add(_ key: String, _ value: Double, decimals: Int = 1) {
        fields.append((key, format(value, decimals: decimals)))
    }
    mutating func add(_ key: String, rawJSON: String) { fields.append((key, rawJSON)) }

    var text: String { "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}" }

    private func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

func format(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return "null" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if decimals == 0 { return String(Int(rounded)) }
    return String(rounded)
}

/// Polls `condition` every 0.5 ms until it holds; throws after `timeout`.
func waitFor(_ timeout: Duration = .seconds(60), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw BenchSetupError("timed out") }
        try await Task.sleep(for: .microseconds(500))
    }
}
