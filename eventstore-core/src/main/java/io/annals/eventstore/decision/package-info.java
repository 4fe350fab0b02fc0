/**
 * Decisions whose rule spans streams ("a name is used by one product at most", "a course has
 * seats left"), kept consistent without an aggregate that holds every stream: a
 * {@link io.annals.eventstore.decision.Decision} folds small
 * {@link io.annals.eventstore.decision.DecisionModel}s over the events their queries match,
 * decides on their states, and the {@link io.annals.eventstore.decision.DecisionHandler} appends
 * the new events on the condition that nothing those queries match was stored since it read
 * (Dynamic Consistency Boundaries), deciding again when something was. The
 * {@code DecisionFixture} of {@code io.annals.eventstore.testing} tests decisions without a
 * database.
 */
@NullMarked
package io.annals.eventstore.decision;

import org.jspecify.annotations.NullMarked;
