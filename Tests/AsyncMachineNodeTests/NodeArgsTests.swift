import AsyncMachine
import AsyncMachineNode
import Foundation
import Testing

@Suite struct NodeArgsTests {
    @Test func roundTripsThroughArgsAndJSON() throws {
        let a = NodeArgs(id: "nw-1", localAddr: "127.0.0.1:1", publicAddr: "127.0.0.1:2", nodesList: ["a:1", "b:2"],
                         superRpcId: "nc-super-x", workerRpcId: "nc-worker-x", worker: "w1", pid: 42)
        #expect(try NodeArgs(args: a.args) == a)
        let decoded = try JSONDecoder().decode(Args.self, from: JSONEncoder().encode(a.args))
        #expect(try NodeArgs(args: decoded) == a, "everything survives a process boundary")
        #expect(a.args["client"] == "nc-worker-x" && a.args["superClient"] == "nc-super-x", "the keys the wire uses")
    }

    @Test func wrongTypeIsAClearErrorNotACrash() throws {
        #expect(throws: ArgsError.wrongType(key: "pid", expected: "int", actual: "string")) { try NodeArgs(args: ["pid": "x"]) }
        #expect(throws: ArgsError.wrongType(key: "nodes", expected: "string", actual: "int")) { try NodeArgs(args: ["nodes": [1]]) }
        #expect(try NodeArgs(args: [:]) == NodeArgs())
    }
}
