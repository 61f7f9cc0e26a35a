import AsyncMachineNode

/// How the dashboard writes times, durations and actions: one place, so the header, the
/// list, the log and the status line agree.
public enum TextFormat {
    /// A wall time (ns since the epoch) as `HH:MM:SS.mmm`, shifted by `utcOffsetSeconds`.
    public static func clock(_ nanoseconds: UInt64, utcOffsetSeconds: Int = 0, milliseconds: Bool = true) -> String {
        let totalMilliseconds = Int64(nanoseconds / 1_000_000) + Int64(utcOffsetSeconds) * 1000
        let dayMilliseconds: Int64 = 86_400_000
        let ms = ((totalMilliseconds % dayMilliseconds) + dayMilliseconds) % dayMilliseconds
        let h = ms / 3_600_000, m = ms / 60_000 % 60, s = ms / 1000 % 60
        let base = pad2(h) + ":" + pad2(m) + ":" + pad2(s)
        return milliseconds ? base + "." + pad3(ms % 1000) : base
    }

    /// A short duration: `850ms`, `12s`, `5m03s`, `2h05m`, `3d04h`.
    public static func duration(milliseconds: Int) -> String {
        let ms = max(0, milliseconds)
        if ms < 1000 { return "\(ms)ms" }
        let s = ms / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + pad2(Int64(s % 60)) + "s" }
        if s < 86_400 { return "\(s / 3600)h" + pad2(Int64(s / 60 % 60)) + "m" }
        return "\(s / 86_400)d" + pad2(Int64(s / 3600 % 24)) + "h"
    }

    /// The time between two wall times (ns), as ``duration(milliseconds:)``; 0 when `to`
    /// is before `from` (clocks of two machines can disagree a little).
    public static func elapsed(from: UInt64, to: UInt64) -> String {
        duration(milliseconds: to > from ? Int((to - from) / 1_000_000) : 0)
    }

    /// A round trip in microseconds: `850µs`, `1.2ms`, `35ms`, `1.5s`.
    public static func roundTrip(microseconds us: Int) -> String {
        if us < 1000 { return "\(max(0, us))µs" }
        if us < 10_000 { return "\(us / 1000).\(us / 100 % 10)ms" }
        if us < 1_000_000 { return "\(us / 1000)ms" }
        return "\(us / 1_000_000).\(us / 100_000 % 10)s"
    }

    /// An operator action and its result, as the log and the status line show it:
    /// `kill w3: ok (1.2ms)`, `kill w9 refused: no worker w9`.
    public static func action(_ action: OperatorAction) -> String {
        var what: String
        switch action.name {
        case .fork: what = "fork \(action.count ?? 1)"
        case .kill: what = "kill \(action.target ?? "?")"
        case .forceKill: what = "force kill \(action.target ?? "?")"
        case .provide: what = "provide to \(action.target ?? "?")"
        case .drain: what = "drain \(action.target ?? "?")"
        case .heartbeat: what = "heartbeat"
        case .record: what = "record"
        case .setPool:
            what = "set pool" + [("min", action.min), ("max", action.max), ("warm", action.warm)]
                .compactMap { name, value in value.map { " \(name) \($0)" } }.joined()
        }
        let latency = action.latencyMicroseconds.map { " (\(roundTrip(microseconds: $0)))" } ?? ""
        if action.ok {
            return what + ": " + (action.result.isEmpty ? "ok" : action.result) + latency
        }
        return what + " refused: " + (action.result.isEmpty ? "no reason given" : action.result) + latency
    }

    /// `text` cut to `width` display columns, ending in `…` when cut.
    public static func truncate(_ text: String, width: Int) -> String {
        guard width > 0 else { return "" }
        if Screen.displayWidth(of: text) <= width { return text }
        var out = ""
        var used = 0
        for character in text {
            let w = Screen.displayWidth(of: character)
            if used + w > width - 1 { break }
            out.append(character)
            used += w
        }
        return out + "…"
    }

    /// `text` cut or padded with spaces to exactly `width` display columns.
    public static func fit(_ text: String, width: Int, rightAligned: Bool = false) -> String {
        let cut = truncate(text, width: width)
        let padding = String(repeating: " ", count: max(0, width - Screen.displayWidth(of: cut)))
        return rightAligned ? padding + cut : cut + padding
    }

    /// Splits `text` into lines of at most `width` display columns, at spaces where it can.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        var lineWidth = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            var word = String(word)
            var wordWidth = Screen.displayWidth(of: word)
            let gap = line.isEmpty ? 0 : 1
            if lineWidth + gap + wordWidth <= width {
                line += (gap == 1 ? " " : "") + word
                lineWidth += gap + wordWidth
                continue
            }
            if !line.isEmpty { lines.append(line) }
            line = ""
            lineWidth = 0
            // A word longer than the line is cut into pieces. A character wider than the
            // whole line (a wide one at width 1) is dropped rather than looping forever.
            while wordWidth > width, !word.isEmpty {
                var piece = ""
                var pieceWidth = 0
                while let c = word.first, pieceWidth + Screen.displayWidth(of: c) <= width {
                    piece.append(c)
                    pieceWidth += Screen.displayWidth(of: c)
                    word.removeFirst()
                }
                if piece.isEmpty {
                    word.removeFirst()
                } else {
                    lines.append(piece)
                }
                wordWidth = Screen.displayWidth(of: word)
            }
            line = word
            lineWidth = wordWidth
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }

    private static func pad2(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    private static func pad3(_ v: Int64) -> String { v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : "\(v)" }
}
