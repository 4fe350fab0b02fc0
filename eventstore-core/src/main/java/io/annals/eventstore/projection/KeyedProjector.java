package io.annals.eventstore.projection;

/**
 * A {@link Projector} of a keyed {@link Projection}, whose read model can be queried.
 *
 * @param <K> the key
 * @param <V> a row
 */
public interface KeyedProjector<K, V> extends Projector, ReadModel<K, V> {}
