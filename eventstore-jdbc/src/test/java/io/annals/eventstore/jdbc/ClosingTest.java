package io.annals.eventstore.jdbc;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** A test that closes what it opened (stores, runners), last first, after each test. */
abstract class ClosingTest {

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** Closes {@code c} after the test; returns it. */
    <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        toClose.clear();
    }
}
