/**
 * The core of Annals: the event-store contract and an in-memory store ({@code io.annals.eventstore}),
 * the command loop ({@code .command}), decisions across streams ({@code .decision}), snapshots
 * ({@code .snapshot}), personal data that can be forgotten ({@code .privacy}), projections and their runner ({@code .projection}) and the test fixtures
 * ({@code .testing}). No dependencies.
 */
@SuppressWarnings("module") // the qualified export names a module compiled after this one
module io.annals.eventstore {
    // @Nullable in signatures: needed to compile this module, by no one else and never at run
    // time (javac's "exports" lint, which would want it transitive, is off for this reason).
    requires static org.jspecify;

    exports io.annals.eventstore;
    exports io.annals.eventstore.command;
    exports io.annals.eventstore.decision;
    exports io.annals.eventstore.snapshot;
    exports io.annals.eventstore.projection;
    exports io.annals.eventstore.privacy;
    exports io.annals.eventstore.testing;
    // Machinery shared with the stores of other modules: not API.
    exports io.annals.eventstore.internal to
            io.annals.eventstore.jdbc;
}
