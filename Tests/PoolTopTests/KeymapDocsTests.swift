import Foundation
import PoolTop
import Testing

@Suite("docs/pooltop.md")
struct KeymapDocsTests {
    @Test("its key tables are the keymap's own (regenerate with pooltop --keys)")
    func keyTablesMatchTheKeymap() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/pooltop.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        #expect(text.contains(Keymap.standard.markdown))
    }
}
