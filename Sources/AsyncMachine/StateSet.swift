/// A set of state indexes as a fixed bitset of four words: trivially copyable, so the
/// transition path never allocates or reference-counts for set operations. This is why
/// a schema holds at most ``Schema/maximumStateCount`` states.
struct StateSet: Hashable, Sendable {
    static let capacity = 256

    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt64 = 0
    private var w3: UInt64 = 0

    init() {}

    init<S: Sequence>(_ indexes: S) where S.Element == Int {
        for index in indexes { insert(index) }
    }

    @inline(__always)
    private func word(_ i: Int) -> UInt64 {
        switch i {
        case 0: w0
        case 1: w1
        case 2: w2
        default: w3
        }
    }

    @inline(__always)
    private mutating func update(_ i: Int, _ body: (inout UInt64) -> Void) {
        switch i {
        case 0: body(&w0)
        case 1: body(&w1)
        case 2: body(&w2)
        default: body(&w3)
        }
    }

    @inline(__always)
    func contains(_ index: Int) -> Bool {
        word(index >> 6) & (1 << UInt64(index & 63)) != 0
    }

    @inline(__always)
    mutating func insert(_ index: Int) {
        update(index >> 6) { $0 |= 1 << UInt64(index & 63) }
    }

    @inline(__always)
    mutating func remove(_ index: Int) {
        update(index >> 6) { $0 &= ~(1 << UInt64(index & 63)) }
    }

    var isEmpty: Bool { w0 | w1 | w2 | w3 == 0 }

    var count: Int { w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount }

    /// True when every member of `self` is in `other`.
    @inline(__always)
    func isSubset(of other: StateSet) -> Bool {
        (w0 & ~other.w0) | (w1 & ~other.w1) | (w2 & ~other.w2) | (w3 & ~other.w3) == 0
    }

    @inline(__always)
    func intersects(_ other: StateSet) -> Bool {
        (w0 & other.w0) | (w1 & other.w1) | (w2 & other.w2) | (w3 & other.w3) != 0
    }

    @inline(__always)
    mutating func formUnion(_ other: StateSet) {
        w0 |= other.w0
        w1 |= other.w1
        w2 |= other.w2
        w3 |= other.w3
    }

    @inline(__always)
    mutating func formIntersection(_ other: StateSet) {
        w0 &= other.w0
        w1 &= other.w1
        w2 &= other.w2
        w3 &= other.w3
    }

    @inline(__always)
    mutating func subtract(_ other: StateSet) {
        w0 &= ~other.w0
        w1 &= ~other.w1
        w2 &= ~other.w2
        w3 &= ~other.w3
    }

    /// Members in ascending index order.
    var sorted: [Int] {
        var result: [Int] = []
        forEach { result.append($0) }
        return result
    }

    /// Calls `body` for each member in ascending index order.
    @inline(__always)
    func forEach(_ body: (Int) -> Void) {
        for i in 0..<4 {
            var word = self.word(i)
            while word != 0 {
                body(i << 6 + word.trailingZeroBitCount)
                word &= word - 1
            }
        }
    }
}
