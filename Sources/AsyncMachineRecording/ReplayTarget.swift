import Foundation

/// A place in a recording as a person writes it: `tx1200` or `1200` (after that many
/// transitions), an ISO 8601 wall time (`2026-11-29T03:12:07.250Z`), a time of day on the
/// recording's first day (`03:12:07`, `03:12`), or an offset from the start (`+90s`) or the end
/// (`-500ms`).
public enum ReplayTarget: Sendable, Equatable {
    case transition(UInt64)
    case time(UInt64)

    /// Parses `text` against a recording spanning `range` (wall times, ns since the epoch).
    /// A time of day is read in the zone `utcOffsetSeconds` east of UTC (the one the times
    /// on the screen are shown in), on the day the recording starts there.
    public static func parse(_ text: String, in range: ClosedRange<UInt64>, utcOffsetSeconds: Int = 0) -> ReplayTarget? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.lowercased().hasPrefix("tx"), let n = UInt64(text.dropFirst(2)) { return .transition(n) }
        if let n = UInt64(text) { return .transition(n) }
        if let sign = text.first, sign == "+" || sign == "-" {
            guard let duration = parseDuration(String(text.dropFirst())) else { return nil }
            // Past either end of time is clamped to it, never wrapped around.
            return .time(sign == "+" ? saturatingAdd(range.lowerBound, duration) : (range.upperBound > duration ? range.upperBound - duration : 0))
        }
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = full.date(from: text) ?? ISO8601DateFormatter().date(from: text) {
            // Before the epoch is clamped to it; a date past what u64 nanoseconds hold (year 2554) is refused.
            guard let ns = nanoseconds(sinceEpoch: max(0, date.timeIntervalSince1970)) else { return nil }
            return .time(ns)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if (2...3).contains(parts.count), let h = UInt64(parts[0]), let m = UInt64(parts[1]),
           parts.count == 2 || (parts[2].first?.isNumber == true && parts[2].last?.isNumber == true),
           let s = parts.count == 3 ? Double(parts[2]) : 0, h < 24, m < 60, s >= 0, s < 60 {
            // In 128 bits, so no start or offset overflows; past the end of time is clamped to it.
            let day: Int128 = 86_400_000_000_000
            let offset = Int128(utcOffsetSeconds) * 1_000_000_000
            let localStart = Int128(range.lowerBound) + offset
            let localMidnight = localStart - ((localStart % day) + day) % day
            let local = localMidnight + Int128(h * 3600 + m * 60) * 1_000_000_000 + Int128(s * 1e9)
            return .time(UInt64(clamping: max(0, local - offset)))
        }
        return nil
    }

    /// "90s", "500ms", "2m", "1.5s", "1h" in nanoseconds.
    public static func parseDuration(_ text: String) -> UInt64? {
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0 else { return nil }
            return nanoseconds(value * scale)
        }
        return nil
    }

    /// `value` rounded to whole nanoseconds; nil when it is not finite or does not fit a u64.
    private static func nanoseconds(_ value: Double) -> UInt64? {
        guard value.isFinite else { return nil }
        return UInt64(exactly: value.rounded())
    }

    /// Seconds as nanoseconds, the whole seconds and the fraction apart (a Double of
    /// nanoseconds since the epoch is only good to 256 ns).
    private static func nanoseconds(sinceEpoch seconds: Double) -> UInt64? {
        guard seconds.isFinite, let whole = UInt64(exactly: seconds.rounded(.down)),
              let fraction = nanoseconds((seconds - seconds.rounded(.down)) * 1e9) else { return nil }
        let (ns, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = ns.addingReportingOverflow(fraction)
        return overflow || carry ? nil : sum
    }

    private static func saturatingAdd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
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
