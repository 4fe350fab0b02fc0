/**
 * The command loop: {@link io.annals.eventstore.command.CommandHandler} loads an aggregate (its
 * latest snapshot plus the events after it), decides, appends with the loaded version, and on a
 * concurrent change decides again.
 */
@NullMarked
package io.annals.eventstore.command;

import org.jspecify.annotations.NullMarked;
