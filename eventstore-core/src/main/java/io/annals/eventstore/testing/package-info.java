/**
 * Test support that needs no store: {@link io.annals.eventstore.testing.AggregateFixture}, given /
 * when / then for an aggregate.
 */
@NullMarked
package io.annals.eventstore.testing;

import org.jspecify.annotations.NullMarked;
