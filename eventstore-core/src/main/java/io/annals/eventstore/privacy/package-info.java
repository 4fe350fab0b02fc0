/**
 * Personal data inside events that can be forgotten (crypto-shredding): a value of one data
 * subject is {@linkplain io.annals.eventstore.privacy.Vault#seal sealed} with that subject's own
 * data key before it goes into an event, a snapshot or a read-model row, and
 * {@linkplain io.annals.eventstore.privacy.Vault#forget forgetting} the subject deletes the key, so
 * that every copy of the value, in every table and every backup, becomes unreadable at once,
 * without rewriting the append-only log.
 *
 * <p>The data keys are kept {@linkplain io.annals.eventstore.privacy.SubjectKeys beside the
 * events}, wrapped (encrypted) by a key the application supplies through
 * {@link io.annals.eventstore.privacy.KeyWrapper}; the store never sees that key.
 */
@NullMarked
package io.annals.eventstore.privacy;

import org.jspecify.annotations.NullMarked;
