package io.annals.pricetracker.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.pricetracker.PriceTracker;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What SnapStart calls before a snapshot and after a restore. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SnapStartHookTest {

    @TempDir
    Path dir;

    @AfterEach
    void forget() {
        LambdaEnvironment.forget();
    }

    @Test
    void before_a_snapshot_the_containers_tracker_and_its_connections_are_closed() {
        PriceTracker tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("snap.db"));
        LambdaEnvironment.install(tracker);

        SnapStartHook.instance().beforeCheckpoint(null);
        SnapStartHook.instance().afterRestore(null);

        assertThat(LambdaEnvironment.current())
                .as("the tracker after the snapshot")
                .isNull();
        assertThatThrownBy(() -> tracker.store().readAll(0, 1))
                .as("the closed store")
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void a_snapshot_without_an_open_tracker_does_nothing() {
        SnapStartHook.instance().beforeCheckpoint(null);

        assertThat(LambdaEnvironment.current()).isNull();
    }
}
