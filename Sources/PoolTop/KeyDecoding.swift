import CNcursesw

/// Turns what ncurses' `wget_wch` reports into a `Key`. Pure, so it is tested without a
/// terminal; `NcursesTerminal.readKey` is its only production caller.
public enum CursesKeyDecoder {
    /// `wget_wch` returned `KEY_CODE_YES`: `code` is a `KEY_*` function-key code.
    /// Returns `nil` for codes the dashboard does not use (mouse events, keypad extras).
    public static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_BTAB: return .backTab
        case KEY_RESIZE: return .resize
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case (KEY_F0 + 1)...(KEY_F0 + 63): return .function(Int(code - KEY_F0))
        default: return nil
        }
    }

    /// `wget_wch` returned `OK`: `code` is a character (a Unicode scalar once the locale is
    /// UTF-8). Control characters with a meaning of their own become their `Key`; other
    /// control characters (Ctrl-A is 1) stay `.character` so a keymap can bind them.
    public static func character(_ code: UInt32) -> Key? {
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// Decodes one `wget_wch` result: `status` is its return value, `code` what it stored.
    /// `nil` for `ERR` (the timeout passed, or a signal interrupted the wait) and for keys
    /// the dashboard does not use.
    public static func decode(status: Int32, code: UInt32) -> Key? {
        switch status {
        case KEY_CODE_YES: return functionKey(Int32(bitPattern: code))
        case OK: return character(code)
        default: return nil
        }
    }
}
