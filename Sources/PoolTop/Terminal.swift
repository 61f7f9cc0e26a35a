import CNcursesw
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A terminal's size in character cells.
public struct TerminalSize: Sendable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }
}

/// What the dashboard needs from a terminal: its size, a way to show a frame, and keys.
/// `NcursesTerminal` is the real one; tests use `MemoryTerminal`.
public protocol TerminalBackend: AnyObject {
    /// The current size. After `readKey` returned `.resize` it is already the new size.
    var size: TerminalSize { get }
    /// Shows `screen`. Cells beyond the terminal's size are clipped; the rest of a
    /// terminal larger than the screen is blank.
    func draw(_ screen: Screen)
    /// Waits up to `timeoutMilliseconds` (negative: forever, 0: just polls) for a key.
    /// `nil` when none came in time, or the key is one the dashboard does not use.
    func readKey(timeoutMilliseconds: Int) -> Key?
    /// Gives the terminal back to the shell. Idempotent.
    func close()
}

/// Why `NcursesTerminal` could not start.
public enum TerminalError: Error, Equatable, CustomStringConvertible {
    /// Standard input or output is not a terminal (piped, redirected, or run by a service).
    case notATerminal
    /// Another `NcursesTerminal` is open in this process; ncurses has one screen.
    case alreadyOpen
    /// ncurses does not know the terminal type `TERM`.
    case unknownTerminal(String)

    public var description: String {
        switch self {
        case .notATerminal:
            return "pooltop needs a terminal: standard input and output must not be redirected"
        case .alreadyOpen:
            return "a terminal session is already open in this process"
        case .unknownTerminal(let term):
            return term.isEmpty
                ? "the TERM environment variable is not set; set it to your terminal's type (for example xterm-256color)"
                : "unknown terminal type TERM=\(term); set TERM to a type in the terminfo database (for example xterm-256color)"
        }
    }
}

/// The ncurses backend, and the only code in the package that calls ncurses.
///
/// **Threading.** Debian's ncursesw is not reentrant (swift-notes P8): create, use, close
/// and release an `NcursesTerminal` on one thread. The type is deliberately not
/// `Sendable`, so the compiler keeps it in the isolation domain that created it; keep
/// that domain's work synchronous around it (a blocking `while` loop around `readKey`,
/// as in `pooltop`), and publish data from other threads through a `Mutex` the loop reads.
/// Debug builds check the thread on every call.
///
/// **Restoring the terminal.** `close()` (which `deinit` also calls) ends curses mode
/// exactly once. The application must make sure it runs on every way out: errors (use
/// `defer`), and SIGINT/SIGTERM, which this type leaves to the application to catch.
/// A process that exits without `close()` leaves the terminal without echo and in the
/// alternate screen.
///
/// **Signals.** ncurses owns SIGWINCH (a resize arrives as `Key.resize`) and SIGTSTP. For
/// SIGINT and SIGTERM it installs its own handler, which restores the terminal and exits
/// with status 1, but only when the signal's disposition is still the default at `init`;
/// an application that handles them itself (ignoring them first, as a `DispatchSource`
/// needs) keeps ncurses out and must then call `close()` on its way out.
///
/// Only one instance can be open at a time (ncurses has one screen per process).
public final class NcursesTerminal: TerminalBackend {
    private static let isOpen = Atomic<Bool>(false)

    private let screenHandle: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private let owner: pthread_t
    private var closed = false

    private var previousFrame: Screen?
    private var previousSize: TerminalSize?
    private var needsFullRedraw = true

    private let hasColors: Bool
    private let defaultColorsWork: Bool
    private let colorCount: Int
    private let maxPairs: Int
    private var pairs: [ColorPair: Int16] = [:]
    private var styleCache: [CellStyle: (attributes: attr_t, pair: Int16)] = [:]

    private struct ColorPair: Hashable {
        var foreground: TerminalColor
        var background: TerminalColor
    }

    /// Starts curses mode on the process's terminal.
    ///
    /// Sets the locale from the environment (UTF-8 is needed for wide characters, P7),
    /// unblocks all signals on the calling thread (P10), then sets up ncurses: cbreak,
    /// no echo, keypad keys, hidden cursor, a 25 ms Escape delay, colours with the
    /// terminal's defaults. Uses `newterm` rather than `initscr`, which would exit the
    /// process on an unknown `TERM` instead of reporting it.
    public init() throws(TerminalError) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw .notATerminal }
        guard Self.isOpen.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw .alreadyOpen
        }
        Self.resetSignalMask()
        setlocale(LC_ALL, "")
        guard let handle = newterm(nil, cn_stdout(), cn_stdin()), let window = cn_stdscr() else {
            Self.isOpen.store(false, ordering: .releasing)
            let term = getenv("TERM").map { String(cString: $0) } ?? ""
            throw .unknownTerminal(term)
        }
        screenHandle = handle
        self.window = window
        owner = pthread_self()

        cbreak()
        noecho()
        keypad(window, true)
        intrflush(window, false)
        leaveok(window, true)
        curs_set(0)
        set_escdelay(25)

        var colors = false
        var defaults = false
        if has_colors() {
            colors = start_color() == OK
            if colors { defaults = use_default_colors() == OK }
        }
        hasColors = colors
        defaultColorsWork = defaults
        colorCount = Int(cn_colors())
        maxPairs = Int(min(cn_color_pairs(), Int32(Int16.max)))
    }

    deinit { close() }

    /// Unblocks every signal on the calling thread. A parent that spawned this process
    /// from a thread pool (Foundation.Process does, P11) can hand over SIGINT, SIGTERM and
    /// SIGHUP blocked, which would make the dashboard ignore `kill` and Ctrl-C.
    public static func resetSignalMask() {
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
    }

    public var size: TerminalSize {
        checkThread()
        guard !closed else { return previousSize ?? TerminalSize(width: 0, height: 0) }
        return TerminalSize(width: Int(getmaxx(window)), height: Int(getmaxy(window)))
    }

    /// Makes the next `draw` repaint the whole terminal from scratch (for Ctrl-L, or
    /// after another program wrote to the terminal).
    public func invalidate() {
        checkThread()
        needsFullRedraw = true
    }

    /// Writes the cells that changed since the previous frame (`ScreenDiff`), then
    /// refreshes once. After a size change, a change of the screen's size, or
    /// `invalidate()`, it erases and redraws everything.
    public func draw(_ screen: Screen) {
        checkThread()
        guard !closed else { return }
        let current = size
        var reference = previousFrame
        if needsFullRedraw || current != previousSize
            || previousFrame.map({ $0.width != screen.width || $0.height != screen.height }) ?? true {
            if needsFullRedraw { wclear(window) } else { werase(window) }
            reference = nil
            needsFullRedraw = false
        }
        for run in ScreenDiff.runs(from: reference, to: screen) where run.row < current.height {
            for column in run.columns where column < current.width {
                guard var character = ScreenDiff.glyph(in: screen, row: run.row, column: column) else { continue }
                if column == current.width - 1, Screen.displayWidth(of: character) == 2 { character = " " }
                put(character, style: screen[run.row, column].style, row: run.row, column: column)
            }
        }
        wrefresh(window)
        previousFrame = screen
        previousSize = current
    }

    public func readKey(timeoutMilliseconds: Int) -> Key? {
        checkThread()
        guard !closed else { return nil }
        wtimeout(window, Int32(clamping: timeoutMilliseconds < 0 ? -1 : timeoutMilliseconds))
        var code: wint_t = 0
        let status = wget_wch(window, &code)
        return CursesKeyDecoder.decode(status: status, code: UInt32(code))
    }

    /// Ends curses mode and restores the terminal (echo, cursor, the shell's screen).
    /// Safe to call more than once; every other method does nothing afterwards.
    public func close() {
        guard !closed else { return }
        checkThread()
        closed = true
        curs_set(1)
        endwin()
        delscreen(screenHandle)
        Self.isOpen.store(false, ordering: .releasing)
    }

    // MARK: - Drawing

    private func put(_ character: Character, style: CellStyle, row: Int, column: Int) {
        let (attributes, pair) = cursesStyle(style)
        // One base character plus at most 4 combining marks: a cchar_t holds 5 (CCHAR_MAX).
        var chars: [wchar_t] = []
        chars.reserveCapacity(6)
        for scalar in character.unicodeScalars {
            guard chars.count < 5 else { break }
            let value = scalar.value
            if chars.isEmpty {
                chars.append(wchar_t(bitPattern: value < 0x20 || (0x7F..<0xA0).contains(value) ? 0x20 : value))
            } else if wcwidth(wchar_t(bitPattern: value)) == 0 {
                chars.append(wchar_t(bitPattern: value))
            }
        }
        chars.append(0)
        _ = cn_put_cell(window, Int32(row), Int32(column), chars, attributes, pair)
    }

    private func cursesStyle(_ style: CellStyle) -> (attributes: attr_t, pair: Int16) {
        if let cached = styleCache[style] { return cached }
        var attributes = attr_t(bitPattern: cn_a_normal())
        if style.bold { attributes |= attr_t(bitPattern: cn_a_bold()) }
        if style.dim { attributes |= attr_t(bitPattern: cn_a_dim()) }
        if style.reverse { attributes |= attr_t(bitPattern: cn_a_reverse()) }
        if style.underline { attributes |= attr_t(bitPattern: cn_a_underline()) }
        let result = (attributes: attributes, pair: colorPair(ColorPair(foreground: style.foreground, background: style.background)))
        styleCache[style] = result
        return result
    }

    /// Pair 0 is the terminal's default colours; other pairs are made on first use.
    private func colorPair(_ colors: ColorPair) -> Int16 {
        guard hasColors else { return 0 }
        if colors.foreground == .default, colors.background == .default { return 0 }
        if let pair = pairs[colors] { return pair }
        let next = pairs.count + 1
        guard next < maxPairs else { return 0 }
        let number = Int16(next)
        init_pair(number, cursesColor(colors.foreground, isForeground: true), cursesColor(colors.background, isForeground: false))
        pairs[colors] = number
        return number
    }

    private func cursesColor(_ color: TerminalColor, isForeground: Bool) -> Int16 {
        switch color {
        case .default:
            if defaultColorsWork { return -1 }
            return Int16(isForeground ? COLOR_WHITE : COLOR_BLACK)
        case .black: return Int16(COLOR_BLACK)
        case .red: return Int16(COLOR_RED)
        case .green: return Int16(COLOR_GREEN)
        case .yellow: return Int16(COLOR_YELLOW)
        case .blue: return Int16(COLOR_BLUE)
        case .magenta: return Int16(COLOR_MAGENTA)
        case .cyan: return Int16(COLOR_CYAN)
        case .white: return Int16(COLOR_WHITE)
        // Bright black where the terminal has 16 colours or more.
        case .gray: return colorCount >= 16 ? 8 : Int16(COLOR_WHITE)
        }
    }

    private func checkThread() {
        assert(pthread_equal(owner, pthread_self()) != 0,
               "NcursesTerminal used from a thread other than the one that created it")
    }
}
