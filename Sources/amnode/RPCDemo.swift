import ArgumentParser
import AsyncMachine
import AsyncMachineRPC
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `amnode rpc-demo serve|watch`: a machine mirrored live between two processes.
struct RPCDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc-demo",
        abstract: "A machine served over aRPC and mirrored by another process.",
        discussion: """
            In one terminal: amnode rpc-demo serve --port 7800
            In another:      amnode rpc-demo watch --port 7800
            The watcher prints each change of the served machine as its mirror sees it; \
            --add STATE makes it forward a mutation first.
            """,
        subcommands: [Serve.self, Watch.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a demo machine that switches between Busy and Idle on its own.")

        @Option(help: "Address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "Port to listen on (0: pick a free one; it is printed).")
        var port = 7800

        @Option(help: "Milliseconds between the machine's own changes.")
        var interval = 500

        @Option(help: "Stop after this many changes (0: run until killed).")
        var changes = 0

        mutating func run() async throws {
            let machine = Machine(DemoSchema.schema, id: "demo")
            machine.add([.start, .ready])
            let server = RPCServer(source: machine, configuration: .init(host: host, port: port))
            try await server.start()
            print("serving machine 'demo' on \(host):\(server.port ?? port)")
            fflush(nil)
            var made = 0
            while changes == 0 || made < changes {
                try await Task.sleep(for: .milliseconds(interval))
                machine.add1(machine.is1(.demoBusy) ? .demoIdle : .demoBusy)
                machine.add1(.demoTick, ["n": .int(made)])
                made += 1
            }
            await server.stop()
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mirror a served machine and print every change it goes through.")

        @Option(help: "Server address.")
        var host = "127.0.0.1"

        @Option(help: "Server port.")
        var port = 7800

        @Option(help: "Client id to present.")
        var id = "rc-watch"

        @Option(help: "A state to add on the served machine before watching.")
        var add: String?

        @Option(help: "Stop after seeing this many changes (0: until killed).")
        var changes = 0

        mutating func run() async throws {
            let client = RPCClient(host: host, port: port, configuration: .init(id: id))
            let net = try await client.connect()
            print("mirroring \(net.sourceId): \(net.mirror)")
            let printer = ChangePrinter()
            net.mirror.attach(printer)
            if let add {
                let result = try await net.add1(StateName(add))
                print("add \(add): \(result)")
            }
            fflush(nil)
            while changes == 0 || printer.seen < changes {
                try await Task.sleep(for: .milliseconds(20))
            }
            await client.close()
        }
    }
}

private enum DemoSchema {
    static let schema: Schema = {
        try! Schema.basic.merging([
            .demoBusy: StateSpec(require: [.ready], remove: [.demoIdle]),
            .demoIdle: StateSpec(require: [.ready], remove: [.demoBusy]),
            .demoTick: StateSpec(multi: true),
        ])
    }()
}

extension StateName {
    fileprivate static let demoBusy: Self = "Busy"
    fileprivate static let demoIdle: Self = "Idle"
    fileprivate static let demoTick: Self = "Tick"
}

/// Prints `+Busy -Idle` lines as the mirror changes.
private final class ChangePrinter: Tracer {
    private let count = Mutex<Int>(0)
    var seen: Int { count.withLock { $0 } }

    func transitionEnd(_ tx: Transition) {
        let changes = tx.enteredStates.map { "+\($0)" } + tx.exitedStates.map { "-\($0)" }
        guard !changes.isEmpty else { return }
        print(changes.joined(separator: " ") + "    " + tx.statesAfter.map(\.rawValue).joined(separator: " "))
        fflush(nil)
        count.withLock { $0 += 1 }
    }
}

import Synchronization
