extension Schema {
    /// `BasicSchema`: Exception, two common error states, Start, Ready (requires Start),
    /// Healthcheck (Multi) and Heartbeat. Merge your own states on top:
    /// `try Schema.basic.merging([...])`.
    public static let basic: Schema = {
        // The literal is valid by inspection; `try!` guards a proven invariant.
        try! Schema([
            .exception: StateSpec(multi: true),
            .errNetwork: StateSpec(require: [.exception], add: [.exception], multi: true),
            .errHandlerTimeout: StateSpec(require: [.exception], add: [.exception], multi: true),
            .start: StateSpec(),
            .ready: StateSpec(require: [.start]),
            .healthcheck: StateSpec(multi: true),
            .heartbeat: StateSpec(),
        ])
    }()

    /// `ConnectedSchema`: a mutually exclusive connection group in which Disconnected is
    /// the automatic fallback, plus ErrConnecting. Merge it with a schema that has Start.
    public static let connected: Schema = {
        let group: [StateName] = [.connecting, .connected, .disconnecting, .disconnected]
        func others(_ name: StateName) -> [StateName] { group.filter { $0 != name } }
        return try! Schema([
            .start: StateSpec(),
            .exception: StateSpec(multi: true),
            .errConnecting: StateSpec(require: [.exception], add: [.exception]),
            .connecting: StateSpec(require: [.start], remove: others(.connecting)),
            .connected: StateSpec(require: [.start], remove: others(.connected)),
            .disconnecting: StateSpec(remove: others(.disconnecting)),
            .disconnected: StateSpec(remove: others(.disconnected), auto: true),
        ])
    }()
}

extension StateName {
    public static let errNetwork: StateName = "ErrNetwork"
    public static let errHandlerTimeout: StateName = "ErrHandlerTimeout"
    public static let errConnecting: StateName = "ErrConnecting"
}
