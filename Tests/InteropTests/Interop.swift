import Testing

/// Suites that start real processes (daemons, Python peers) run one at a time: on a 2-core
/// machine they would otherwise starve each other's start-up deadlines.
@Suite(.serialized) enum Interop {}
