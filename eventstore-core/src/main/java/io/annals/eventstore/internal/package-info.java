/**
 * Machinery shared by the Annals stores: argument checks, the idempotency rule, the keyed fold.
 * <b>Not API:</b> the module exports it only to {@code io.annals.eventstore.jdbc}, and it may
 * change in any release.
 */
@NullMarked
package io.annals.eventstore.internal;

import org.jspecify.annotations.NullMarked;
