package io.annals.eventstore.jdbc;

import io.annals.eventstore.Event;

/**
 * Stands in for a deserialization gadget: a class that stored data names. Its static
 * initializer records that it was loaded and initialised, which the codec must never cause.
 */
public final class GadgetProbe implements Event {

    /** The system property set when this class is initialised. */
    static final String LOADED = "annals.test.gadget.initialised";

    static {
        System.setProperty(LOADED, "true");
    }

    /** Never called by the tests, only by a codec that would obey stored data. */
    public GadgetProbe() {
        System.setProperty(LOADED, "instantiated");
    }
}
