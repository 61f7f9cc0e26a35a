/// State name -> index, as an open-addressing table hashed with FNV-1a over the name's
/// UTF-8 bytes. State names are short, so this is cheaper than `Dictionary`'s seeded
/// SipHash on the mutation path, and the table is built once per schema.
struct NameIndex: Sendable {
    private let slots: [Int32]
    private let mask: Int
    private let names: [StateName]

    init(_ names: [StateName]) {
        var size = 8
        while size < names.count * 2 { size <<= 1 }
        var slots = [Int32](repeating: -1, count: size)
        for (i, name) in names.enumerated() {
            var h = Self.hash(name.rawValue) & (size - 1)
            while slots[h] >= 0 { h = (h + 1) & (size - 1) }
            slots[h] = Int32(i)
        }
        self.slots = slots
        self.mask = size - 1
        self.names = names
    }

    @inline(__always)
    subscript(name: StateName) -> Int? {
        var h = Self.hash(name.rawValue) & mask
        while true {
            let i = Int(slots[h])
            if i < 0 { return nil }
            if names[i] == name { return i }
            h = (h + 1) & mask
        }
    }

    @inline(__always)
    private static func hash(_ text: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 31))
    }
}
