import AsyncMachineRecording
import Foundation
import Testing

/// What a person types for `--at` and `:goto` is parsed, or refused: never a crash.
@Suite struct ReplayTargetTests {
    static let start: UInt64 = 1_795_900_000_000_000_000
    static let range = start...(start + 3_600_000_000_000)

    @Test func hugeOrNonFiniteTimesAreRefusedNotTrapped() {
        for text in ["+1e30s", "+infs", "-1e300h", "-infms", "+nans", "+1e20ns", "+18446744073709551616ns",
                     "+1.8446744073709552e19ns", "9999-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z"] {
            #expect(ReplayTarget.parse(text, in: Self.range) == nil, "\(text)")
        }
        #expect(ReplayTarget.parseDuration("1e30s") == nil)
        #expect(ReplayTarget.parseDuration("infh") == nil)
    }

    @Test func targetsPastEitherEndOfTimeAreClamped() {
        // The duration fits a u64, the start plus it does not: the end of time, not a wrap-around.
        #expect(ReplayTarget.parse("+18000000000s", in: Self.range) == .time(.max))
        #expect(ReplayTarget.parse("-18000000000s", in: Self.range) == .time(0))
        // A time of day on the recording's first day, when that day is the last a u64 holds.
        #expect(ReplayTarget.parse("23:59:59", in: (UInt64.max - 10)...UInt64.max) == .time(.max))
        // Before the epoch is the epoch.
        #expect(ReplayTarget.parse("1900-01-01T00:00:00Z", in: Self.range) == .time(0))
    }

    @Test func ordinaryTargetsStillParse() {
        #expect(ReplayTarget.parse("tx1200", in: Self.range) == .transition(1200))
        #expect(ReplayTarget.parse("+1.5s", in: Self.range) == .time(Self.start + 1_500_000_000))
        #expect(ReplayTarget.parse("+0.3s", in: Self.range) == .time(Self.start + 300_000_000))
        #expect(ReplayTarget.parse("-500ms", in: Self.range) == .time(Self.range.upperBound - 500_000_000))
        #expect(ReplayTarget.parse("2026-11-29T03:12:07.250Z", in: Self.range) == .time(1_795_921_927_250_000_000))
        #expect(ReplayTarget.parse("2500-01-01T00:00:00Z", in: Self.range) == .time(16_725_225_600_000_000_000))
        let day: UInt64 = 86_400_000_000_000
        #expect(ReplayTarget.parse("03:12:07", in: Self.range) == .time(Self.start / day * day + 11_527_000_000_000))
        #expect(ReplayTarget.parse("+tomorrow", in: Self.range) == nil)
    }
}
