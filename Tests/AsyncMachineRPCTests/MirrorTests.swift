import AsyncMachine
import AsyncMachineRPC
import Testing

@Suite struct MirrorTests {
    @Test func mirrorStartsInSyncAndFollowsForwardedMutations() async throws {
        let pair = try await RPCPair.make(try RPCFixture.rels())
        pair.source.add1(.d)
        try await pair.net.mirror.when([.d], timeout: .seconds(5))
        #expect(try await pair.net.add1(.a) == .executed)
        #expect(pair.source.activeStates() == [.a, .b, .c, .d])
        #expect(pair.net.mirror.activeStates() == pair.source.activeStates(), "the reply carried the clock")
        #expect(pair.net.mirror.time() == pair.source.time())
        #expect(pair.client.machine.is1(.ready))
        await pair.close()
    }

    @Test func serverSideChangesArePushed() async throws {
        let pair = try await RPCPair.make(try RPCFixture.noRels())
        pair.source.add([.a, .c])
        try await pair.net.mirror.when([.a, .c], timeout: .seconds(5))
        pair.source.remove1(.a)
        try await pair.net.mirror.whenNot([.a], timeout: .seconds(5))
        #expect(pair.net.mirror.time() == pair.source.time())
        await pair.close()
    }
}
