/**
 * Shared machinery of the Annals stores. <b>Not API:</b> public only so that the stores in other
 * modules can use it; it may change in any release.
 */
package io.annals.eventstore.internal;
