import Testing
@testable import PoolTop

@Suite("Keymap")
struct KeymapTests {
    let keymap = Keymap.standard

    @Test("live keys map to their commands", arguments: [
        (Key.character("f"), Command.fork), (.character("x"), .kill), (.character("X"), .forceKill),
        (.character("p"), .provide), (.character("t"), .tag), (.character("T"), .tagGroup), (.character("u"), .untagAll),
        (.character("/"), .filter), (.character("?"), .help), (.character(":"), .commandLine), (.character("Z"), .pause),
        (.character(" "), .pause), (.character("F"), .follow), (.character("q"), .quit),
        (.up, .moveUp), (.character("k"), .moveUp), (.down, .moveDown), (.character("j"), .moveDown),
        (.character("g"), .top), (.character("G"), .bottom), (.home, .top), (.end, .bottom),
        (.pageUp, .pageUp), (.pageDown, .pageDown), (.tab, .nextPane), (.backTab, .previousPane),
        (.enter, .open), (.escape, .back),
    ])
    func live(key: Key, command: Command) {
        #expect(keymap.command(for: key, replay: false) == command)
    }

    @Test("replay keys map to their commands", arguments: [
        (Key.character(" "), Command.playPause), (.character("+"), .speedUp), (.character("="), .speedUp),
        (.character("-"), .slowDown), (.left, .stepBack), (.right, .stepForward), (.character("{"), .jumpBack),
        (.character("}"), .jumpForward), (.character("n"), .nextChange), (.character("N"), .previousChange),
        (.character("e"), .nextError), (.character("E"), .previousError), (.home, .first), (.end, .last),
        (.character("j"), .moveDown), (.character("q"), .quit), (.character("/"), .filter),
    ])
    func replay(key: Key, command: Command) {
        #expect(keymap.command(for: key, replay: true) == command)
    }

    @Test("pool actions are not bound in replay, and the keymap says where they are")
    func actionsAreLiveOnly() {
        for key in [Key.character("f"), .character("x"), .character("X"), .character("p")] {
            #expect(keymap.command(for: key, replay: true) == nil)
            #expect(keymap.bindingInOtherMode(for: key, replay: true)?.command.isPoolAction == true)
        }
        #expect(keymap.command(for: .left, replay: false) == nil)
        #expect(keymap.bindingInOtherMode(for: .left, replay: false)?.command == .stepBack)
    }

    @Test("no key means two things in contexts that are active together")
    func noCollisions() {
        for replay in [false, true] {
            let active: [KeyContext] = [replay ? .replay : .live, .list, .global]
            for context in active {
                var seen: Set<Key> = []
                for binding in keymap.bindings where binding.context == context {
                    for key in binding.keys {
                        #expect(!seen.contains(key), "\(key.label) is bound twice in \(context)")
                        seen.insert(key)
                    }
                }
            }
        }
    }

    @Test("every command has a key")
    func everyCommandIsBound() {
        for command in Command.allCases {
            #expect(keymap.bindings.contains { $0.command == command }, "\(command) has no key")
        }
    }

    @Test("key labels read like keys")
    func labels() {
        #expect(Key.character(" ").label == "Space")
        #expect(Key.up.label == "↑")
        #expect(Key.backTab.label == "Shift-Tab")
        #expect(Key.pageDown.label == "PgDn")
        #expect(keymap.bindings.first { $0.command == .moveUp }?.keyLabel == "↑ k")
    }

    @Test("a later binding of the same key overrides an earlier one")
    func overrides() {
        let custom = Keymap(Keymap.standard.bindings + [KeyBinding([.character("f")], .help, "Help instead", context: .live)])
        #expect(custom.command(for: .character("f"), replay: false) == .help)
    }
}
