/// Keys: overlays take them first, then digits build a count, then the keymap decides.
extension DashboardModel {
    /// Handles one key and returns what the outside world should do.
    public mutating func handle(_ key: Key) -> [Effect] {
        if key == .resize { return [] }
        switch overlay {
        case .help(let scroll)?: handleHelp(key, scroll: scroll); return []
        case .confirm(let dialog)?: return handleConfirm(key, dialog)
        case .prompt(let prompt)?: return handlePrompt(key, prompt)
        case nil: break
        }
        status = nil
        if case .character(let c) = key, let digit = c.wholeNumberValue, c.isASCII, digit > 0 || countPrefix != nil {
            // Capped, so a held key cannot overflow; no command takes counts this large.
            countPrefix = min(9_999, (countPrefix ?? 0) * 10 + digit)
            return []
        }
        guard let binding = keymap.binding(for: key, replay: isReplay) else {
            countPrefix = nil
            if let other = keymap.bindingInOtherMode(for: key, replay: isReplay) {
                status = other.command.isPoolAction && isReplay
                    ? StatusMessage("REPLAY: actions are disabled (\(key.label): \(other.description.lowercased()))", isError: true)
                    : StatusMessage("\(key.label) (\(other.description.lowercased())) works in \(isReplay ? "live" : "replay") mode only", isError: true)
            }
            return []
        }
        let count = countPrefix
        countPrefix = nil
        return run(binding.command, count: count)
    }

    private mutating func handleHelp(_ key: Key, scroll: Int) {
        let most = max(0, HelpContent.lines(keymap: keymap, replay: isReplay, readonly: readonly).count - 1)
        var scroll = scroll
        switch key {
        case .escape, .enter, .character("?"), .character("q"): overlay = nil; return
        case .down, .character("j"): scroll += 1
        case .up, .character("k"): scroll -= 1
        case .pageDown, .character(" "): scroll += max(1, height - 4)
        case .pageUp: scroll -= max(1, height - 4)
        case .home, .character("g"): scroll = 0
        case .end, .character("G"): scroll = most
        default: break
        }
        overlay = .help(scroll: min(max(0, scroll), most))
    }

    private mutating func handleConfirm(_ key: Key, _ dialog: ConfirmDialog) -> [Effect] {
        var dialog = dialog
        switch key {
        case .left, .right, .tab, .backTab:
            dialog.moveFocus()
        case .escape:
            overlay = nil
            status = StatusMessage("canceled")
            return []
        case .enter:
            guard dialog.focus == .confirm else {
                overlay = nil
                status = StatusMessage("canceled")
                return []
            }
            guard dialog.inputSatisfied else {
                status = StatusMessage("type \(dialog.requiredInput ?? "") to confirm", isError: true)
                overlay = .confirm(dialog)
                return []
            }
            overlay = nil
            return confirm(dialog.action)
        case .backspace, .delete:
            if !dialog.input.isEmpty { dialog.input.removeLast() }
        case .character(let c) where dialog.requiredInput != nil && c.isASCIINumber:
            if dialog.input.count < 6 { dialog.input.append(c) }
        default:
            break
        }
        overlay = .confirm(dialog)
        return []
    }

    private mutating func handlePrompt(_ key: Key, _ prompt: TextPrompt) -> [Effect] {
        var prompt = prompt
        switch key {
        case .escape:
            overlay = nil
            // Esc on the filter line clears the filter (tui.md §5.4), so one key gets the
            // whole pool back.
            if prompt.purpose == .filter { setFilter("") }
            return []
        case .enter:
            return submit(prompt)
        case .backspace, .delete:
            if !prompt.text.isEmpty { prompt.text.removeLast() }
        case .tab where prompt.purpose == .command:
            prompt.text = complete(prompt.text)
        case .character(let c):
            prompt.text.append(c)
        default:
            return []
        }
        prompt.error = nil
        if prompt.purpose == .filter {
            setFilter(prompt.text)
            prompt.error = filter.error
        }
        overlay = .prompt(prompt)
        return []
    }

    private mutating func submit(_ prompt: TextPrompt) -> [Effect] {
        var prompt = prompt
        let text = prompt.text.trimmingSpaces
        switch prompt.purpose {
        case .filter:
            setFilter(prompt.text)
            if let error = filter.error {
                prompt.error = error
                overlay = .prompt(prompt)
                return []
            }
            overlay = nil
            status = filter.isEmpty ? StatusMessage("filter cleared") : StatusMessage("filter: \(filter.text)  (Esc clears)")
            return []
        case .provideClient:
            guard !text.isEmpty, !text.contains(" ") else {
                prompt.error = "type one client id, as in c-3"
                overlay = .prompt(prompt)
                return []
            }
            overlay = nil
            return request(.provide(client: text))
        case .command:
            do {
                let command = try ColonCommand.parse(text)
                overlay = nil
                return run(command)
            } catch {
                prompt.error = error.message
                overlay = .prompt(prompt)
                return []
            }
        }
    }

    /// Completes the word being typed on the `:` line: a command name first, then a worker
    /// id (for kill and drain) or a client (for provide). A unique match is completed with a
    /// space after it; several matches are extended as far as they agree.
    func complete(_ text: String) -> String {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard let last = words.last else { return text }
        let candidates: [String]
        if words.count == 1 {
            candidates = ColonCommand.names
        } else {
            switch words[0] {
            case "kill", "kill!", "drain": candidates = roster.rows { $0.group != .gone }.map(\.id)
            case "provide": candidates = snapshot?.clients ?? []
            case "set": candidates = ["min", "max", "warm"]
            default: candidates = []
            }
        }
        let matches = candidates.filter { $0.hasPrefix(last) }
        guard var shared = matches.first else { return text }
        if matches.count == 1 { return (words.dropLast() + [shared]).joined(separator: " ") + " " }
        for match in matches.dropFirst() {
            while !match.hasPrefix(shared) { shared.removeLast() }
        }
        return (words.dropLast() + [shared.count > last.count ? shared : last]).joined(separator: " ")
    }

    /// Changes the filter and the list with it.
    mutating func setFilter(_ text: String) {
        filter = WorkerFilter(text)
        logScroll = 0
        rebuildRows()
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
