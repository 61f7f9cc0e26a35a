import AsyncMachine
import AsyncMachineRPC

extension Supervisor {
    /// Payload names of the provide flow.
    public enum Payloads {
        /// To the requesting client: `{worker, address}` of its worker.
        public static let provideWorker = "ProvideWorker"
        /// To the requesting client: `{reason}` why it got none.
        public static let provideWorkerRefused = "ProvideWorkerRefused"
    }

    /// ProvideWorker (args `client`: the id the client will use on the worker,
    /// `superClient`: its id on this supervisor's endpoint) reserves an idle worker,
    /// allow-lists the client on it and sends the client its address. Refused (with a
    /// payload saying why) when no worker is idle or the client holds MaxClientWorkers.
    func bindProvideWorker() {
        machine.onEnter(.provideWorker) { [weak self] event in
            guard let self, let request = try? NodeArgs(args: event.args), let client = request.workerRpcId,
                let superClient = request.superRpcId
            else { return false }
            if let refusal = self.refusal(for: client) {
                Task { _ = try? await self.publicServer.sendPayload(Payloads.provideWorkerRefused, ["reason": .string(refusal)], to: superClient) }
                return false
            }
            return true
        }
        machine.onState(.provideWorker) { [weak self] event in
            guard let self, let request = try? NodeArgs(args: event.args), let client = request.workerRpcId,
                let superClient = request.superRpcId
            else { return }
            guard let record = self.reserve(for: client) else {
                Task { _ = try? await self.publicServer.sendPayload(Payloads.provideWorkerRefused, ["reason": "no idle worker"], to: superClient) }
                return
            }
            Task { await self.provide(record, to: client, superClient: superClient) }
        }
    }

    private func refusal(for client: String) -> String? {
        let limit = configuration.withLock { $0.clientWorkerLimit }
        let infos = workers()
        if infos.filter({ $0.client == client }).count >= limit {
            return NodeError.tooManyWorkers(limit).description
        }
        if !infos.contains(where: { $0.state == .idle }) { return NodeError.noWorkersAvailable.description }
        return nil
    }

    /// Picks an idle unreserved worker and reserves it for `client`.
    private func reserve(for client: String) -> WorkerRecord? {
        let records = state.withLock { $0.workers.values.sorted { $0.number < $1.number } }
        for record in records where record.info.state == .idle {
            let taken = record.read(\.assignedClient) != nil
            if taken { continue }
            record.update { r in
                r.assignedClient = client
                r.reservation += 1
            }
            updateFlags()
            return record
        }
        return nil
    }

    private func provide(_ record: WorkerRecord, to client: String, superClient: String) async {
        let (net, address) = record.read { ($0.net, $0.publicAddress) }
        do {
            guard let net else { throw NodeError.workerExited("no link to the worker") }
            let served = try await net.add1(.serveClient, ["id": .string(client)])
            guard served == .executed else { throw NodeError.workerExited("the worker refused ServeClient: \(served)") }
            try await publicServer.sendPayload(
                Payloads.provideWorker, .map(["worker": .string(record.id), "address": .string(address)]), to: superClient)
        } catch {
            release(record)
            _ = try? await publicServer.sendPayload(Payloads.provideWorkerRefused, ["reason": .string("\(error)")], to: superClient)
            return
        }
        // A reservation the client never uses ends after ConnTimeout; a later reservation
        // of the same worker is not this one's to end.
        let timeout = configuration.withLock { $0.connTimeout }
        let reservation = record.read(\.reservation)
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard let net = record.read(\.net), !net.mirror.is1(.clientConnected),
                record.read(\.reservation) == reservation, record.read(\.assignedClient) != nil
            else { return }
            self?.release(record)
        }
    }

    /// Ends a reservation: the worker is available to the next client.
    func release(_ record: WorkerRecord) {
        record.update { $0.assignedClient = nil }
        updateFlags()
        if record.read(\.draining) { kill(record.id) }
    }
}
