package io.annals.eventstore.internal;

import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/** The rules of event tags, shared by the records that hold them and the stores. */
public final class Tags {

    /** The most tags one event may carry, or one query item name. */
    public static final int MAX_TAGS = 100;

    /** The longest tag. */
    public static final int MAX_TAG_LENGTH = 200;

    private Tags() {}

    /**
     * An unmodifiable copy of {@code tags} in their natural order, each checked.
     *
     * @throws NullPointerException if {@code tags} or a tag is null
     * @throws IllegalArgumentException if there are more than 100 tags, or a tag is blank, longer
     *     than 200 characters, or holds a control character or an unpaired surrogate
     */
    public static Set<String> copyOf(Set<String> tags) {
        return copyOf(tags, "an event carries");
    }

    /**
     * {@link #copyOf(Set)}, whose message on too many tags begins with {@code holder}, such as
     * "a query item names".
     */
    public static Set<String> copyOf(Set<String> tags, String holder) {
        Objects.requireNonNull(tags, "tags");
        if (tags.isEmpty()) {
            return Set.of();
        }
        if (tags instanceof Sorted sorted) {
            return sorted;
        }
        if (tags.size() > MAX_TAGS) {
            throw new IllegalArgumentException(holder + " at most " + MAX_TAGS + " tags, this one has " + tags.size());
        }
        TreeSet<String> copy = new TreeSet<>();
        for (String tag : tags) {
            check(tag);
            copy.add(tag);
        }
        return new Sorted(copy);
    }

    /**
     * Checks one tag: 1 to 200 characters, not blank, no control characters, no unpaired
     * surrogate.
     *
     * @throws NullPointerException if {@code tag} is null
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void check(String tag) {
        Objects.requireNonNull(tag, "tag");
        AppendChecks.checkName("tag '" + Text.printable(tag) + "'", tag, MAX_TAG_LENGTH);
    }

    /** A checked, sorted, unmodifiable set of tags: copied again as it is. */
    private static final class Sorted extends java.util.AbstractSet<String> {
        private final SortedSet<String> tags;

        Sorted(TreeSet<String> tags) {
            this.tags = Collections.unmodifiableSortedSet(tags);
        }

        @Override
        public java.util.Iterator<String> iterator() {
            return tags.iterator();
        }

        @Override
        public int size() {
            return tags.size();
        }

        @Override
        public boolean contains(Object o) {
            return o instanceof String && tags.contains(o);
        }
    }
}
