package io.annals.eventstore.jdbc;

import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.privacy.SubjectKey;
import io.annals.eventstore.privacy.SubjectKeys;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/** The data keys of sealed personal data, in the store's subject keys table beside the events. */
final class JdbcSubjectKeys implements SubjectKeys {

    private final DataSource dataSource;
    private final Dialect dialect;
    private final boolean readOnly;
    private final Clock clock;

    JdbcSubjectKeys(DataSource dataSource, Dialect dialect, boolean readOnly, Clock clock) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.readOnly = readOnly;
        this.clock = clock;
    }

    @Override
    public Optional<SubjectKey> live(String subject) {
        Objects.requireNonNull(subject, "subject");
        return query("find the live key of subject " + subject, "live-subject-key", subject, null);
    }

    @Override
    public Optional<SubjectKey> find(String subject, String dataKeyId) {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(dataKeyId, "dataKeyId");
        return query("find data key " + dataKeyId + " of subject " + subject, "find-subject-key", subject, dataKeyId);
    }

    private Optional<SubjectKey> query(String what, String statement, String subject, String dataKeyId) {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, dialect.sql(statement), ps -> {
                ps.setString(1, subject);
                if (dataKeyId != null) {
                    ps.setString(2, dataKeyId);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(key(subject, rs, 1)) : Optional.<SubjectKey>empty();
                }
            });
        } catch (SQLException e) {
            throw dialect.failure("cannot " + what, e);
        }
    }

    @Override
    public void insert(SubjectKey key) {
        Objects.requireNonNull(key, "key");
        byte[] wrapped = key.wrapped();
        if (wrapped == null) {
            throw new IllegalArgumentException("a new key of " + key.subject() + " has no wrapped bytes");
        }
        write("store a data key of subject " + key.subject(), "insert-subject-key", ps -> {
            ps.setString(1, key.subject());
            ps.setString(2, key.dataKeyId());
            ps.setString(3, key.wrappingKeyId());
            ps.setBytes(4, wrapped);
            ps.setLong(5, Dialect.toMicros(key.createdAt()));
            return ps.executeUpdate();
        });
    }

    @Override
    public int forget(String subject) {
        Objects.requireNonNull(subject, "subject");
        String what = "forget subject " + subject;
        checkWritable(what);
        try {
            return dialect.inWriterTurn(
                    dataSource,
                    c -> dialect.atomically(c, a -> {
                        dialect.withStatement(a, dialect.sql("forget-subject-keys"), ps -> {
                            ps.setLong(1, Dialect.toMicros(clock.instant()));
                            ps.setString(2, subject);
                            return ps.executeUpdate();
                        });
                        return dialect.withStatement(a, dialect.sql("count-subject-keys"), ps -> {
                            ps.setString(1, subject);
                            try (ResultSet rs = ps.executeQuery()) {
                                rs.next();
                                return rs.getInt(1);
                            }
                        });
                    }));
        } catch (SQLException e) {
            throw dialect.failure("cannot " + what, e);
        }
    }

    @Override
    public List<SubjectKey> wrappedByOtherThan(String wrappingKeyId, int max) {
        Objects.requireNonNull(wrappingKeyId, "wrappingKeyId");
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, dialect.sql("keys-wrapped-by-other"), ps -> {
                ps.setString(1, wrappingKeyId);
                ps.setInt(2, max);
                List<SubjectKey> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(key(rs.getString(1), rs, 2));
                    }
                }
                return out;
            });
        } catch (SQLException e) {
            throw dialect.failure("cannot list the keys to wrap again with " + wrappingKeyId, e);
        }
    }

    @Override
    public boolean rewrap(SubjectKey old, String wrappingKeyId, byte[] wrapped) {
        byte[] oldWrapped = old.wrapped();
        if (oldWrapped == null) {
            return false;
        }
        return write(
                        "wrap data key " + old.dataKeyId() + " of subject " + old.subject() + " again",
                        "rewrap-subject-key",
                        ps -> {
                            ps.setString(1, wrappingKeyId);
                            ps.setBytes(2, wrapped);
                            ps.setString(3, old.subject());
                            ps.setString(4, old.dataKeyId());
                            ps.setString(5, old.wrappingKeyId());
                            ps.setBytes(6, oldWrapped);
                            return ps.executeUpdate();
                        })
                == 1;
    }

    private SubjectKey key(String subject, ResultSet rs, int first) throws SQLException {
        return new SubjectKey(
                subject,
                rs.getString(first),
                rs.getString(first + 1),
                rs.getBytes(first + 2),
                Dialect.fromMicros(rs.getLong(first + 3)));
    }

    private int write(String what, String statement, Dialect.StatementWork<Integer> work) {
        checkWritable(what);
        try {
            return dialect.inWriterTurn(
                    dataSource,
                    c -> dialect.atomically(c, a -> dialect.withStatement(a, dialect.sql(statement), work)));
        } catch (SQLException e) {
            throw dialect.failure("cannot " + what, e);
        }
    }

    private void checkWritable(String what) {
        if (readOnly) {
            throw new ReadOnlyStoreException("cannot " + what + ": the store was opened read-only");
        }
    }
}
