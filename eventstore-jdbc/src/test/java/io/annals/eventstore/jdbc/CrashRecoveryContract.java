package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.tck.ChildJvm;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenarios 1 and 2 of the reliability suite: a process killed with SIGKILL in the middle of
 * appends, and in the middle of projection batches. A subclass names the database.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class CrashRecoveryContract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<ReliabilityDb> DBS = new ArrayList<>();

    /** The database, created once per test class. */
    abstract ReliabilityDb db();

    ReliabilityDb remember(ReliabilityDb db) {
        synchronized (DBS) {
            DBS.add(db);
        }
        return db;
    }

    @AfterAll
    static void dropAll() {
        synchronized (DBS) {
            DBS.forEach(ReliabilityDb::dropAll);
            DBS.clear();
        }
    }

    // --- 1. kill -9 mid-append ------------------------------------------------------------

    @Test
    @Timeout(300)
    void an_appender_killed_at_random_moments_loses_no_acknowledged_batch_and_tears_none() throws Exception {
        killAppenders(5, new Random(1));
    }

    @Test
    @Tag("nightly")
    @Timeout(3600)
    void fifty_appenders_killed_at_random_moments_lose_no_acknowledged_batch_and_tear_none() throws Exception {
        killAppenders(50, new Random(50));
    }

    private void killAppenders(int rounds, Random random) throws Exception {
        String url = db().newUrl("kill-append");
        JdbcEventStore.open(url).close(); // create the schema once, outside the children
        Map<String, Acked> acked = new LinkedHashMap<>();
        int unacknowledgedTail = 0;
        int lostAcknowledgements = 0;
        for (int round = 0; round < rounds; round++) {
            try (ChildJvm child =
                    ChildJvm.start(CrashChild.class, null, "append", url, Long.toString(random.nextLong()))) {
                assertThat(child.awaitLine(l -> l.startsWith("ACK "), 60_000))
                        .as("round %d: the child acknowledged an append; %s", round, child.describe())
                        .isTrue();
                Thread.sleep(random.nextInt(600));
                child.kill();
                String inDoubt = null;
                for (String line : child.lines()) {
                    if (line.startsWith("ACK ")) {
                        Acked a = Acked.parse(line);
                        acked.put(a.batch(), a);
                        inDoubt = null;
                    } else if (line.startsWith("SEND ")) {
                        inDoubt = line;
                    }
                }
                if (inDoubt != null && retryInDoubt(url, inDoubt, acked)) {
                    lostAcknowledgements++;
                }
            }
            unacknowledgedTail = checkAppendLog(url, acked);
        }
        assertThat(acked).hasSizeGreaterThan(rounds);
        // Not an assertion, but worth a line when a run goes wrong: how many batches were stored
        // whose acknowledgement the kill swallowed.
        System.out.printf(
                "%s: %d rounds, %d acknowledged batches, %d stored but unacknowledged, "
                        + "%d retried after a lost acknowledgement%n",
                db().name(), rounds, acked.size(), unacknowledgedTail, lostAcknowledgements);
    }

    /**
     * Scenario 5 the hard way: the batch the killed child was appending when it died (it may or
     * may not have committed) is appended again with the same event ids, as a recovering process
     * would. It must be stored exactly once either way.
     *
     * @return whether it had been committed (the kill swallowed its acknowledgement)
     */
    private static boolean retryInDoubt(String url, String sendLine, Map<String, Acked> acked) {
        String[] f = sendLine.split(" ");
        String batch = f[1];
        String stream = f[2];
        String[] ids = f[3].split(",");
        List<EventData> events = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            events.add(new EventData(
                    java.util.UUID.fromString(ids[i]),
                    "Batched",
                    CrashChild.payload(java.util.UUID.fromString(batch), i),
                    Map.of()));
        }
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            boolean stored = EventStoreContract.readAllOf(store).stream()
                    .anyMatch(r -> r.eventId().equals(events.get(0).eventId()));
            AppendResult r = store.append(stream, ExpectedVersion.any(), events);
            acked.put(batch, new Acked(batch, stream, r.version()));
            return stored;
        }
    }

    /** An acknowledged batch, as the child printed it. */
    record Acked(String batch, String stream, long lastVersion) {
        static Acked parse(String line) {
            String[] f = line.split(" ");
            return new Acked(f[1], f[2], Long.parseLong(f[3]));
        }
    }

    /**
     * Checks the log after a kill: every acknowledged batch stored where it was acknowledged,
     * every stored batch whole, in one run of the log and of its stream, versions contiguous,
     * the database intact.
     *
     * @return how many stored batches were never acknowledged (the kill came between commit and
     *     print)
     */
    int checkAppendLog(String url, Map<String, Acked> acked) throws Exception {
        db().checkIntegrity(url);
        List<RecordedEvent> all;
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            all = EventStoreContract.readAllOf(store);
        }
        Map<String, Long> lastVersion = new HashMap<>();
        Map<String, RecordedEvent> lastOfBatch = new HashMap<>();
        for (int k = 0; k < all.size(); k += CrashChild.BATCH) {
            JsonNode first = JSON.readTree(all.get(k).json());
            String batch = first.get("batch").asText();
            assertThat(lastOfBatch).as("batch %s stored once", batch).doesNotContainKey(batch);
            for (int i = 0; i < CrashChild.BATCH; i++) {
                assertThat(k + i).as("batch %s is whole", batch).isLessThan(all.size());
                RecordedEvent r = all.get(k + i);
                JsonNode json = JSON.readTree(r.json());
                assertThat(json.get("batch").asText())
                        .as("event %d of batch %s, in one run of the log", i, batch)
                        .isEqualTo(batch);
                assertThat(json.get("i").asInt()).isEqualTo(i);
                assertThat(r.streamId()).isEqualTo(all.get(k).streamId());
                long previous = lastVersion.getOrDefault(r.streamId(), 0L);
                assertThat(r.version())
                        .as("versions of %s are contiguous", r.streamId())
                        .isEqualTo(previous + 1);
                lastVersion.put(r.streamId(), r.version());
            }
            lastOfBatch.put(batch, all.get(k + CrashChild.BATCH - 1));
        }
        for (Acked a : acked.values()) {
            RecordedEvent last = lastOfBatch.get(a.batch());
            assertThat(last).as("acknowledged batch %s", a.batch()).isNotNull();
            assertThat(last.streamId()).isEqualTo(a.stream());
            assertThat(last.version()).isEqualTo(a.lastVersion());
        }
        return (int)
                lastOfBatch.keySet().stream().filter(b -> !acked.containsKey(b)).count();
    }

    // --- 2. kill -9 mid-projection --------------------------------------------------------

    @Test
    @Timeout(300)
    void a_projection_runner_killed_at_random_moments_applies_each_event_once() throws Exception {
        killProjectors(5, 150, new Random(2));
    }

    @Test
    @Tag("nightly")
    @Timeout(3600)
    void fifty_projection_runners_killed_at_random_moments_apply_each_event_once() throws Exception {
        killProjectors(50, 400, new Random(51));
    }

    private void killProjectors(int rounds, int depositsPerRound, Random random) throws Exception {
        String url = db().newUrl("kill-project");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            DepositTables.create(store.dataSource());
            int midBatchKills = 0;
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < depositsPerRound; i++) {
                    // amount 0 closes the account: its row is deleted, so order matters too
                    long amount = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(1000);
                    store.append(
                            "acct-" + random.nextInt(12),
                            ExpectedVersion.any(),
                            List.of(CODEC.encode(new Deposited(amount))));
                }
                try (ChildJvm child = ChildJvm.start(CrashChild.class, null, "project", url)) {
                    assertThat(child.awaitLine("STARTED"::equals, 60_000))
                            .as("round %d: the runner started; %s", round, child.describe())
                            .isTrue();
                    Thread.sleep(random.nextInt(depositsPerRound * 2));
                    child.kill();
                }
                db().checkIntegrity(url);
                if (checkReadModelsAgainstTheLog(store, false)) {
                    midBatchKills++;
                }
            }
            // A last runner, in this process, finishes the work: the read models then equal the
            // fold of the whole log.
            KeyedProjector<String, Total> totals = store.projectors().keyed(new Totals("totals"), CODEC, TOTALS);
            try (ProjectionRunner runner = ProjectionRunner.builder(store)
                    .add(totals)
                    .add(store.projectors().sql(new DepositTables(), CODEC))
                    .build()) {
                assertThat(runner.catchUp())
                        .extracting(ProjectionStatus::lastError)
                        .containsOnly(Optional.empty());
            }
            checkReadModelsAgainstTheLog(store, true);
            db().checkIntegrity(url);
            System.out.printf(
                    "%s: %d rounds, %d kills left a projection part-way%n", db().name(), rounds, midBatchKills);
        }
    }

    // --- 2b. kill -9 of a segment's instance -----------------------------------------------

    @Test
    @Timeout(300)
    void segments_whose_instance_is_killed_are_taken_over_and_apply_each_event_once() throws Exception {
        String url = db().newUrl("kill-segments");
        Random random = new Random(3);
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            List<KeyedProjector<String, Total>> segments =
                    store.projectors().segments(new CrashChild.SlowTotals(), CODEC, TOTALS, CrashChild.SEGMENTS);
            for (int round = 0; round < 4; round++) {
                appendDeposits(store, 120, random);
                // two instances: one owns segments 0 and 1, the other segment 2
                try (ChildJvm first = ChildJvm.start(CrashChild.class, null, "segments", url, "0,1");
                        ChildJvm second = ChildJvm.start(CrashChild.class, null, "segments", url, "2")) {
                    assertThat(first.awaitLine("STARTED"::equals, 60_000))
                            .as("round %d: %s", round, first.describe())
                            .isTrue();
                    assertThat(second.awaitLine("STARTED"::equals, 60_000))
                            .as("round %d: %s", round, second.describe())
                            .isTrue();
                    Thread.sleep(50 + random.nextInt(300));
                    second.kill(); // in the middle of segment 2's batches, as likely as not
                    checkSegmentsAgainstTheLog(store, segments, false);

                    // the first instance takes segment 2 over and brings it to the end of the log
                    long end = appendDeposits(store, 60, random);
                    awaitCheckpoint(segments.get(2), end, first);
                    checkSegmentsAgainstTheLog(store, segments, false);

                    Thread.sleep(random.nextInt(200));
                    appendDeposits(store, 60, random);
                    Thread.sleep(random.nextInt(100));
                    first.kill();
                }
                db().checkIntegrity(url);
                checkSegmentsAgainstTheLog(store, segments, false);
            }
            // A last runner, in this process, finishes every segment.
            ProjectionRunner.Builder b = ProjectionRunner.builder(store);
            segments.forEach(b::add);
            try (ProjectionRunner runner = b.build()) {
                assertThat(runner.catchUp())
                        .extracting(ProjectionStatus::lastError)
                        .containsOnly(Optional.empty());
            }
            checkSegmentsAgainstTheLog(store, segments, true);
        }
    }

    private static long appendDeposits(JdbcEventStore store, int n, Random random) {
        long last = 0;
        for (int i = 0; i < n; i++) {
            // amount 0 closes the account: its row is deleted, so order within a stream matters
            long amount = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(1000);
            last = store.append(
                            "acct-" + random.nextInt(30),
                            ExpectedVersion.any(),
                            List.of(CODEC.encode(new Deposited(amount))))
                    .position();
        }
        return last;
    }

    private static void awaitCheckpoint(KeyedProjector<String, Total> segment, long position, ChildJvm instance)
            throws InterruptedException {
        long until = System.nanoTime() + 60_000_000_000L;
        while (segment.checkpoint() < position && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(segment.checkpoint())
                .as("%s taken over and brought to the end; %s", segment.name(), instance.describe())
                .isGreaterThanOrEqualTo(position);
    }

    /**
     * Per segment: the rows of its streams equal the fold of those streams' events up to its
     * checkpoint. Nothing applied twice, nothing skipped, no batch half-written, in any segment.
     */
    private static void checkSegmentsAgainstTheLog(
            JdbcEventStore store, List<KeyedProjector<String, Total>> segments, boolean toTheEnd) throws SQLException {
        // The rows and the checkpoints in one snapshot: an instance may still be applying.
        Map<String, Total> rows = new TreeMap<>();
        Map<String, Long> checkpoints = new HashMap<>();
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            try (Statement st = c.createStatement()) {
                try (ResultSet rs =
                        st.executeQuery("SELECT key, value FROM annals_projection_rows WHERE projection = 'totals'")) {
                    while (rs.next()) {
                        rows.put(rs.getString(1), TOTALS.deserialize(rs.getString(2)));
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT projection, position FROM annals_projection_checkpoints")) {
                    while (rs.next()) {
                        checkpoints.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            c.rollback();
        }
        List<RecordedEvent> all = EventStoreContract.readAllOf(store);
        long end = all.isEmpty() ? 0 : all.get(all.size() - 1).position();
        for (int s = 0; s < segments.size(); s++) {
            int segment = s;
            long at = checkpoints.getOrDefault(segments.get(s).name(), 0L);
            List<RecordedEvent> mine = all.stream()
                    .filter(r -> CrashChild.SEGMENTS.segmentOf(r.streamId()) == segment)
                    .toList();
            Map<String, Total> expected = foldUpTo(mine, at);
            Map<String, Total> found = new TreeMap<>(rows);
            found.keySet().removeIf(stream -> CrashChild.SEGMENTS.segmentOf(stream) != segment);
            assertThat(found).as("segment %d at checkpoint %d", segment, at).isEqualTo(expected);
            if (toTheEnd) {
                assertThat(at).isEqualTo(end);
            }
        }
    }

    /**
     * Both read models equal the fold of the log up to their checkpoints: no event applied twice,
     * none skipped, no batch half-written.
     *
     * @return whether a projection was part-way through the log
     */
    private boolean checkReadModelsAgainstTheLog(JdbcEventStore store, boolean toTheEnd) throws Exception {
        List<RecordedEvent> all = EventStoreContract.readAllOf(store);
        long end = all.isEmpty() ? 0 : all.get(all.size() - 1).position();
        KeyedProjector<String, Total> totals = store.projectors().keyed(new Totals("totals"), CODEC, TOTALS);
        long keyedAt = totals.checkpoint();
        Map<String, Total> keyed = new TreeMap<>();
        totals.list(0, 100_000).forEach(r -> keyed.put(r.key(), r.value()));
        assertThat(keyed).as("keyed read model at checkpoint %d", keyedAt).isEqualTo(foldUpTo(all, keyedAt));

        long tablesAt = store.projectors().sql(new DepositTables(), CODEC).checkpoint();
        assertThat(DepositTables.totals(store.dataSource()))
                .as("tables at checkpoint %d", tablesAt)
                .isEqualTo(foldUpTo(all, tablesAt));
        assertThat(DepositTables.logged(store.dataSource()))
                .isEqualTo(all.stream().filter(r -> r.position() <= tablesAt).count());
        if (toTheEnd) {
            assertThat(keyedAt).isEqualTo(end);
            assertThat(tablesAt).isEqualTo(end);
        }
        return keyedAt != end || tablesAt != end;
    }

    private static Map<String, Total> foldUpTo(List<RecordedEvent> all, long checkpoint) {
        Map<String, Total> model = new TreeMap<>();
        Totals totals = new Totals("fold");
        for (RecordedEvent r : all) {
            if (r.position() > checkpoint) {
                break;
            }
            Total t = totals.apply(model.get(r.streamId()), CODEC.decode(r));
            if (t == null) {
                model.remove(r.streamId());
            } else {
                model.put(r.streamId(), t);
            }
        }
        return model;
    }

    static EventData deposit(long amount) {
        return CODEC.encode(new Deposited(amount));
    }
}
