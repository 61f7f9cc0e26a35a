import AsyncMachine
import AsyncMachineNode
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The dashboard's loop: feed -> model -> views -> terminal, and keys -> model -> effects.
///
/// Runs on the calling thread, which owns the terminal (ncurses is single-threaded): it
/// waits at most one frame for a key, takes in what the feed has, and redraws when
/// something changed, at most `framesPerSecond` times a second. Actions run in tasks;
/// their results come back through a lock the loop reads. SIGINT, SIGTERM and SIGHUP end
/// the loop like `q` does, so the terminal is restored and an embedded pool is stopped.
public final class DashboardApp {
    public struct Configuration: Sendable {
        /// Most redraws per second. Default 30.
        public var framesPerSecond: Int
        /// Redraw at least this often even when nothing arrived, so ages and uptimes move.
        /// Default 1 s.
        public var idleRedraw: Duration

        public init(framesPerSecond: Int = 30, idleRedraw: Duration = .seconds(1)) {
            self.framesPerSecond = framesPerSecond
            self.idleRedraw = idleRedraw
        }
    }

    private let feed: any PoolFeed
    private let terminal: any TerminalBackend
    private let configuration: Configuration
    private var model: DashboardModel
    private let shared = Shared()
    private var signalSources: [any DispatchSourceSignal] = []

    public init(feed: any PoolFeed, model: DashboardModel, terminal: any TerminalBackend, configuration: Configuration = .init()) {
        self.feed = feed
        self.model = model
        self.terminal = terminal
        self.configuration = configuration
    }

    /// The model as the loop left it (for tests).
    public var currentModel: DashboardModel { model }

    /// Ends ``run()`` from another thread, as `q` would (without asking).
    public func requestStop() { shared.stopSignal.store(Shared.stopRequested, ordering: .relaxed) }

    /// Runs until `q` (confirmed when embedded) or a termination signal; returns the
    /// signal that ended it, or 0.
    @discardableResult
    public func run() -> Int32 {
        let previous = catchSignals()
        defer {
            signalSources.forEach { $0.cancel() }
            signalSources = []
            // Back to what they were, so a stop that follows (an embedded pool's) can
            // still be interrupted.
            for (sig, handler) in previous { signal(sig, handler) }
        }
        let frame = Duration.milliseconds(1_000 / max(1, configuration.framesPerSecond))
        var dirty = true
        var lastDraw = ContinuousClock.now - .seconds(1)
        let size = terminal.size
        model.resize(width: size.width, height: size.height)
        loop: while shared.stopSignal.load(ordering: .relaxed) == 0 {
            for update in feed.poll() {
                model.apply(update)
                dirty = true
            }
            // Results of this dashboard's own actions: the status line (the log gets them as
            // events from the pool, or they would show twice).
            for action in shared.results.withLock({ r in defer { r = [] }; return r }) {
                model.noteResult(action, appendToLog: false)
                dirty = true
            }
            let now = ContinuousClock.now
            if (dirty && now - lastDraw >= frame) || now - lastDraw >= configuration.idleRedraw {
                draw()
                lastDraw = now
                dirty = false
            }
            guard let key = terminal.readKey(timeoutMilliseconds: Int(frame.millisecondsCount)) else { continue }
            if key == .resize {
                let size = terminal.size
                model.resize(width: size.width, height: size.height)
            }
            dirty = true
            for effect in model.handle(key) {
                if case .quit = effect { break loop }
                run(effect)
            }
        }
        draw()
        let signal = shared.stopSignal.load(ordering: .relaxed)
        return signal == Shared.stopRequested ? 0 : signal
    }

    private func draw() {
        let size = terminal.size
        terminal.draw(DashboardRenderer.render(model, width: size.width, height: size.height, now: wallClockNanoseconds()))
    }

    private func run(_ effect: Effect) {
        switch effect {
        case .control(let request):
            let feed = self.feed
            let shared = self.shared
            Task {
                let outcome = await feed.perform(request)
                shared.results.withLock { $0.append(contentsOf: outcome) }
            }
        case .replay(let request):
            feed.replay(request)
        case .record(let path):
            let action = feed.startRecording(to: path)
            shared.results.withLock { $0.append(action) }
        case .quit:
            break
        }
    }

    /// Turns SIGINT, SIGTERM and SIGHUP into a stop of the loop; returns their previous
    /// dispositions.
    private func catchSignals() -> [(Int32, sighandler_t?)] {
        var previous: [(Int32, sighandler_t?)] = []
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            previous.append((sig, signal(sig, SIG_IGN)))
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [shared] in shared.stopSignal.store(sig, ordering: .relaxed) }
            source.resume()
            signalSources.append(source)
        }
        return previous
    }
}

/// What the loop shares with action tasks and signal handlers.
private final class Shared: Sendable {
    let results = Mutex<[OperatorAction]>([])
    let stopSignal = Atomic<Int32>(0)
    /// Not a signal number: ``DashboardApp/requestStop()`` was called.
    static let stopRequested: Int32 = -1
}
