import Foundation

/// A place in a recording as a person writes it: `tx1200` or `1200` (after that many
/// transitions), an ISO 8601 wall time (`2026-11-29T03:12:07.250Z`), a time of day on the
/// recording's first day (`03:12:07`, `03:12`), or an offset from the start (`+90s`) or the end
/// (`-500ms`).
public enum ReplayTarget: Sendable, Equatable {
    case transition(UInt64)
    case time(UInt64)

    /// Parses `text` against a recording spanning `range` (wall times, ns since the epoch).
    public static func parse(_ text: String, in range: ClosedRange<UInt64>) -> ReplayTarget? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.lowercased().hasPrefix("tx"), let n = UInt64(text.dropFirst(2)) { return .transition(n) }
        if let n = UInt64(text) { return .transition(n) }
        if let sign = text.first, sign == "+" || sign == "-" {
            guard let duration = parseDuration(String(text.dropFirst())) else { return nil }
            return .time(sign == "+" ? range.lowerBound &+ duration : (range.upperBound > duration ? range.upperBound - duration : 0))
        }
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = full.date(from: text) ?? ISO8601DateFormatter().date(from: text) {
            return .time(UInt64(max(0, date.timeIntervalSince1970 * 1e9)))
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if (2...3).contains(parts.count), let h = UInt64(parts[0]), let m = UInt64(parts[1]),
           parts.count == 2 || (parts[2].first?.isNumber == true && parts[2].last?.isNumber == true),
           let s = parts.count == 3 ? Double(parts[2]) : 0, h < 24, m < 60, s >= 0, s < 60 {
            let day: UInt64 = 86_400_000_000_000
            let midnight = range.lowerBound / day * day
            return .time(midnight + (h * 3600 + m * 60) * 1_000_000_000 + UInt64(s * 1e9))
        }
        return nil
    }

    /// "90s", "500ms", "2m", "1.5s", "1h" in nanoseconds.
    public static func parseDuration(_ text: String) -> UInt64? {
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0 else { return nil }
            return UInt64(value * scale)
        }
        return nil
    }

    /// What a person may type, for error messages.
    public static let examples = "tx1200, 2026-11-29T03:12:07Z, 03:12:07, +90s or -500ms"
}

extension ReplayCursor {
    /// Goes to `target`.
    public func seek(to target: ReplayTarget) throws(RecordingError) {
        switch target {
        case .transition(let n): try seek(toTransition: n)
        case .time(let t): try seek(toTime: t)
        }
    }
}
