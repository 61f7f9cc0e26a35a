import AsyncMachine
import Foundation
import Testing

@Suite struct ArgsTests {
    @Test func typedAccessorsReadTheirTypes() throws {
        let args: Args = ["n": 3, "name": "w1", "ratio": 0.5, "ok": true, "raw": .bytes([1, 2])]
        #expect(try args.int("n") == 3)
        #expect(try args.string("name") == "w1")
        #expect(try args.double("ratio") == 0.5)
        #expect(try args.double("n") == 3, "an int widens to a double")
        #expect(try args.bool("ok"))
        #expect(try args.bytes("raw") == [1, 2])
        #expect(try args.optionalInt("absent") == nil)
    }

    @Test func wrongTypeAndMissingAreErrorsThatNameTheKey() {
        let args: Args = ["n": "three"]
        #expect(throws: ArgsError.wrongType(key: "n", expected: "int", actual: "string")) { try args.int("n") }
        #expect(throws: ArgsError.missing(key: "m")) { try args.int("m") }
        #expect(throws: ArgsError.wrongType(key: "n", expected: "int", actual: "string")) { try args.optionalInt("n") }
    }

    @Test func aHandlerReadingAWrongTypeCancelsItsTransitionAndRaisesException() throws {
        let machine = Fixture.machine(try Fixture.noRels())
        machine.onEnter(.a) { event in try event.args.int("n") > 0 }
        #expect(machine.add1(.a, ["n": "x"]) == .canceled)
        #expect(machine.isErr)
        #expect(String(describing: try #require(machine.lastError)).contains("'n' is string, expected int"))
        #expect(machine.add1(.a, ["n": 2]) == .executed, "the queue is not wedged")
    }

    @Test func argsRoundTripThroughJSON() throws {
        let args: Args = ["n": 3, "s": "x", "d": 1.5, "b": false, "l": [1, "two"], "m": .map(["k": 1]), "z": nil, "raw": .bytes([0, 255])]
        let data = try JSONEncoder().encode(args)
        let decoded = try JSONDecoder().decode(Args.self, from: data)
        #expect(decoded == args)
    }

    @Test func descriptionTruncatesLongValues() {
        let args: Args = ["arg": "0123456789012345678901234", "b": 1]
        #expect(args.description == "arg=01234567890123456... b=1")
    }

    @Test func containsAndMerging() {
        let base: Args = ["a": 1, "b": 2]
        #expect(base.contains(["a": 1]))
        #expect(!base.contains(["a": 2]))
        #expect(base.merging(["b": 3, "c": 4]) == ["a": 1, "b": 3, "c": 4])
    }
}
