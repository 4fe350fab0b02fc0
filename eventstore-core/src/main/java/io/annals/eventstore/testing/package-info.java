/**
 * Test support that needs no database: {@link io.annals.eventstore.testing.AggregateFixture},
 * given / when / then for an aggregate, and {@link io.annals.eventstore.testing.DecisionFixture}
 * for a decision across streams.
 */
@NullMarked
package io.annals.eventstore.testing;

import org.jspecify.annotations.NullMarked;
