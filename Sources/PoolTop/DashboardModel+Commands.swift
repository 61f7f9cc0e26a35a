import AsyncMachineNode

/// What commands do, whether they came from a key or from the `:` line.
extension DashboardModel {
    mutating func run(_ command: Command, count: Int?) -> [Effect] {
        switch command {
        case .moveUp, .moveDown, .top, .bottom, .pageUp, .pageDown:
            move(command)
        case .nextPane: cyclePane(forward: true)
        case .previousPane: cyclePane(forward: false)
        case .open: open()
        case .back: back()
        case .fork: return request(.fork(count: count ?? 1))
        case .kill: askToKill(force: false)
        case .forceKill: askToKill(force: true)
        case .provide:
            if let refusal = refusal(for: "provide") { status = refusal } else { overlay = .prompt(TextPrompt(.provideClient)) }
        case .tag: tagSelected()
        case .tagGroup: tagGroup()
        case .untagAll:
            status = StatusMessage(tagged.isEmpty ? "nothing was tagged" : "untagged \(tagged.count)")
            tagged = []
        case .filter: overlay = .prompt(TextPrompt(.filter, text: filter.text))
        case .help: overlay = .help(scroll: 0)
        case .commandLine: overlay = .prompt(TextPrompt(.command))
        case .pause: togglePause()
        case .follow:
            follow.toggle()
            logScroll = 0
            status = StatusMessage(follow ? "log follows \(selectedWorker ?? "the selected worker")" : "log shows every worker")
        case .quit: return quit()
        case .playPause: return [.replay(.playPause)]
        case .speedUp: return [.replay(.speedUp)]
        case .slowDown: return [.replay(.slowDown)]
        case .stepBack: return [.replay(.step(-(count ?? 1)))]
        case .stepForward: return [.replay(.step(count ?? 1))]
        case .jumpBack: return [.replay(.jump(-50 * (count ?? 1)))]
        case .jumpForward: return [.replay(.jump(50 * (count ?? 1)))]
        case .nextChange, .previousChange:
            guard let id = selectedWorker else {
                status = StatusMessage("select a worker first", isError: true)
                return []
            }
            return [.replay(command == .nextChange ? .nextChange(worker: id) : .previousChange(worker: id))]
        case .nextError: return [.replay(.nextError)]
        case .previousError: return [.replay(.previousError)]
        case .first: return [.replay(.first)]
        case .last: return [.replay(.last)]
        }
        return []
    }

    /// Runs a parsed `:` command.
    mutating func run(_ command: ColonCommand) -> [Effect] {
        switch command {
        case .fork(let count): return request(.fork(count: count))
        case .kill(let ids, let force):
            // Typing the ids is the confirmation; unknown ids are an error, not a silent no-op.
            if refusal(for: force ? "force kill" : "kill") == nil, let missing = ids.first(where: { !roster.isPresent($0) }) {
                status = StatusMessage("kill: no worker \(missing) in the pool", isError: true)
                return []
            }
            return request(.kill(ids: ids, force: force))
        case .provide(let client): return request(.provide(client: client))
        case .setPool(let min, let max, let warm): return request(.setPool(min: min, max: max, warm: warm))
        case .drain(let id):
            if refusal(for: "drain") == nil, !roster.isPresent(id) {
                status = StatusMessage("drain: no worker \(id) in the pool", isError: true)
                return []
            }
            return request(.drain(id: id))
        case .heartbeat: return request(.heartbeat)
        case .goto(let target):
            guard isReplay else {
                status = StatusMessage("goto works in replay mode only", isError: true)
                return []
            }
            return [.replay(.goto(target))]
        case .record(let path):
            guard !isReplay else {
                status = StatusMessage("record: a replay is already a recording", isError: true)
                return []
            }
            status = StatusMessage("recording to \(path)")
            return [.record(path: path)]
        case .filter(let text):
            setFilter(text)
            status = filter.error.map { StatusMessage("filter: \($0)", isError: true) }
                ?? StatusMessage(filter.isEmpty ? "filter cleared" : "filter: \(filter.text)")
            return []
        case .help:
            overlay = .help(scroll: 0)
            return []
        case .quit:
            return quit()
        }
    }

    /// Why a pool action cannot run now, if it cannot: a replay cannot change the pool,
    /// and `--readonly` promised not to.
    func refusal(for what: String) -> StatusMessage? {
        if isReplay { return StatusMessage("REPLAY: \(what) is disabled (actions need a live pool)", isError: true) }
        if readonly { return StatusMessage("read-only: \(what) is disabled (started with --readonly)", isError: true) }
        return nil
    }

    /// Sends a pool action, or explains why not.
    mutating func request(_ request: ControlRequest) -> [Effect] {
        let what: String
        switch request {
        case .fork: what = "fork"
        case .kill(_, let force): what = force ? "force kill" : "kill"
        case .provide: what = "provide"
        case .setPool: what = "set"
        case .drain: what = "drain"
        case .heartbeat: what = "heartbeat"
        }
        if let refusal = refusal(for: what) {
            status = refusal
            return []
        }
        if case .kill(let ids, _) = request {
            roster.markKilling(ids)
            tagged.subtract(ids)
            rebuildRows()
        }
        status = StatusMessage("\(request) requested")
        return [.control(request)]
    }

    /// `x` and `X`: a confirmation naming the target, Cancel focused.
    mutating func askToKill(force: Bool) {
        let verb = force ? "Force kill" : "Kill"
        if let refusal = refusal(for: verb.lowercased()) {
            status = refusal
            return
        }
        let targets = taggedPresent
        if targets.count > 1 {
            let count = String(targets.count)
            overlay = .confirm(ConfirmDialog(
                title: verb, message: "\(verb) \(count) tagged workers (\(targets.joined(separator: " ")))?",
                confirmLabel: verb, action: .kill(ids: targets, force: force), requiredInput: count))
            return
        }
        guard let id = targets.first ?? selectedWorker, let row = roster.row(id) else {
            status = StatusMessage("no worker selected", isError: true)
            return
        }
        guard row.group != .gone else {
            status = StatusMessage("\(id) is already gone", isError: true)
            return
        }
        let w = row.worker
        let pid = w.pid.map { "pid \($0)" } ?? "no pid yet"
        let client = w.client.map { "client \($0)" } ?? "no client"
        overlay = .confirm(ConfirmDialog(
            title: verb, message: "\(verb) worker \(id) (\(pid), \(w.state.rawValue), \(client))?",
            confirmLabel: verb, action: .kill(ids: [id], force: force)))
    }

    /// Carries out a confirmed dialog.
    mutating func confirm(_ action: ConfirmDialog.Action) -> [Effect] {
        switch action {
        case .kill(let ids, let force): return request(.kill(ids: ids, force: force))
        case .quit: return [.quit]
        }
    }

    /// `q`: quitting an embedded dashboard stops its pool, so it asks first.
    mutating func quit() -> [Effect] {
        guard mode == .embedded else { return [.quit] }
        overlay = .confirm(ConfirmDialog(
            title: "Quit", message: "Quit pooltop? The embedded supervisor and all its workers stop.",
            confirmLabel: "Quit", action: .quit))
        return []
    }

    /// Enter: open the selected worker's detail; when it is already on screen, go into it.
    mutating func open() {
        guard selectedWorker != nil else {
            status = StatusMessage("no worker selected", isError: true)
            return
        }
        let wasVisible = layout.detail != nil
        showDetail = true
        detailScroll = 0
        if wasVisible { focus = .detail }
        keepFocusOnScreen()
        keepSelectionVisible()
    }

    /// Esc: undo the last thing that was opened, one step at a time.
    mutating func back() {
        if showDetail {
            showDetail = false
            focus = .workers
            keepFocusOnScreen()
            keepSelectionVisible()
        } else if focus != .workers {
            focus = .workers
        } else if !filter.isEmpty {
            setFilter("")
            status = StatusMessage("filter cleared")
        }
    }

    mutating func tagSelected() {
        guard let id = selectedWorker, let row = roster.row(id) else {
            status = StatusMessage("no worker selected", isError: true)
            return
        }
        guard row.group != .gone else {
            status = StatusMessage("\(id) is gone", isError: true)
            return
        }
        if tagged.remove(id) == nil { tagged.insert(id) }
        // Tagging moves down, so a run of workers is tagged with a run of `t`s (htop).
        moveSelection(by: 1)
    }

    /// `T`: tags every listed worker of the selected worker's group, or untags them when
    /// they all are tagged already.
    mutating func tagGroup() {
        guard let row = selectedRow else {
            status = StatusMessage("no worker selected", isError: true)
            return
        }
        guard row.group != .gone else {
            status = StatusMessage("gone workers cannot be tagged", isError: true)
            return
        }
        let ids = rows.filter { $0.group == row.group }.map(\.id)
        if ids.allSatisfy(tagged.contains) {
            tagged.subtract(ids)
            status = StatusMessage("untagged \(ids.count) in \(row.group.title)")
        } else {
            tagged.formUnion(ids)
            status = StatusMessage("tagged \(ids.count) in \(row.group.title)")
        }
    }

    /// `Z`: freeze or unfreeze the screen. Data keeps arriving while frozen.
    mutating func togglePause() {
        if paused {
            paused = false
            frozenLogEnd = nil
            if let latest = latestSnapshot, latest != snapshot { show(latest) }
            status = StatusMessage("live updates resumed")
        } else {
            paused = true
            frozenLogEnd = log.endSequence
            status = StatusMessage("PAUSED: live updates frozen, data still arriving (Z resumes)")
        }
    }
}
