package io.annals.eventstore.privacy;

import io.annals.eventstore.tck.SubjectKeysContract;

/** The subject keys contract in memory. */
class InMemorySubjectKeysTest extends SubjectKeysContract {

    @Override
    protected SubjectKeys newKeys() {
        return new InMemorySubjectKeys();
    }
}
