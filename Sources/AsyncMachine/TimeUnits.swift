#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole units of a `Duration`, for the package's clocks, timers, wire fields and reports.
extension Duration {
    package var nanosecondsCount: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }

    package var microsecondsCount: Int64 { nanosecondsCount / 1_000 }
    package var millisecondsCount: Int64 { nanosecondsCount / 1_000_000 }
}

/// Wall-clock time in nanoseconds since the Unix epoch.
@inline(__always)
package func wallClockNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
