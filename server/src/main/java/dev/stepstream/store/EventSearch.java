package dev.stepstream.store;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.stepstream.events.EventFilter;
import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A filtered page of a run's events (docs/api.md, "Searching a run"): what
 * {@link Store#events(UUID, long, int, EventFilter)} reads, in both databases.
 *
 * <p>The database narrows the rows: by type, and for a search by the text in the stored
 * envelope (a {@code LIKE} of the JSON-escaped text, which ignores ASCII case). That can let
 * through more than the search asks (the text in a field that is not searched, in a key, in an
 * escape), never less, so {@link EventFilter} has the last word on each row, and decides the
 * filters the database cannot see ({@code steps}, {@code minLevel}). A text with a letter outside
 * ASCII, whose case the database may not ignore, is narrowed by type only. (Two letters outside
 * ASCII lower-case to ASCII ones, the Kelvin sign and the dotted capital I: the database does not
 * find them for a {@code k} or an {@code i}, which the rule would.)
 *
 * <p>Bounded work: rows are read a window of seqs at a time, at most {@value #CHUNK} per
 * statement (no more than the page still needs where the database decides the whole filter). A
 * page's first window is {@value #FIRST_WINDOW} seqs, and each window read through without
 * filling the statement is followed by one four times wider, up to {@value #WINDOW}: PostgreSQL
 * expects a text to match few rows (it cannot know better), so it reads a window's every row
 * and sorts what matched rather than stop at the first rows in order; a common word would cost
 * each page a window of 100,000 rows (190 ms a page of 100 measured) where a few thousand hold
 * its matches. A rare word widens the window within a few statements. And a page stops after
 * {@link #TIME} however few it found, or at the event with which those it found reach the bytes
 * asked for, saying where it stopped: a rare word in a run of millions of events takes several
 * pages, each a short read that holds one connection briefly, never one read that holds it for
 * seconds.
 *
 * <p>Bounded memory: on PostgreSQL, whose driver receives a statement's whole result before its
 * first row is read, a statement also stops at the row with which its rows reach
 * {@value #CHUNK_BYTES} bytes ({@link Dialect#stoppingAtBytes}, as {@link JdbcStore#eventsWithin} does), so that
 * a search through a run of long lines holds about a MiB per read, not {@value #CHUNK} of them
 * (16 MiB of 16 KiB lines). sqlite-jdbc steps through the rows as they are read.
 */
final class EventSearch {
    static final int FIRST_WINDOW = 2_000;
    static final int WINDOW = 100_000;
    static final int CHUNK = 1000;
    static final int CHUNK_BYTES = 1 << 20;
    static final Duration TIME = Duration.ofMillis(200);

    private EventSearch() {}

    static EventPage page(Connection connection, Dialect dialect, UUID runId, long afterSeq, int limit, int maxBytes,
                          EventFilter filter) throws SQLException {
        long last = lastSeq(connection, runId);
        String pattern = pattern(filter.text());
        List<EventType> types = filter.types().size() == EventType.values().length ? List.of() : List.copyOf(filter.types());
        if (filter.types().isEmpty()) {
            return new EventPage(List.of(), -1, Math.max(afterSeq, last)); // nothing can pass
        }
        StringBuilder sql = new StringBuilder("SELECT seq, type, time, body FROM events WHERE run_id = ? AND seq > ? AND seq <= ?");
        if (!types.isEmpty()) {
            sql.append(" AND type IN (").append("?, ".repeat(types.size() - 1)).append("?)");
        }
        if (pattern != null) {
            sql.append(" AND ").append(dialect.bodyContains());
        }
        sql.append(" ORDER BY seq LIMIT ?");
        boolean cutByBytes = dialect.receivesResultsWhole();
        String statement = dialect.stoppingAtBytes(sql.toString());
        // Where the database decides the filter (types, a text it can narrow by), nearly every row
        // it returns is found: a statement asks for what the page still needs, not a CHUNK of rows
        // each sent, parsed here and, past the page's end, dropped.
        boolean databaseDecides = filter.steps() == null && filter.minLevel() == LogLevel.DEBUG
                && (filter.text() == null || pattern != null);
        long deadline = System.nanoTime() + TIME.toNanos();
        List<RunEvent> found = new ArrayList<>();
        long foundBytes = 0;
        long cursor = afterSeq;
        try (PreparedStatement select = connection.prepareStatement(statement)) {
            long window = FIRST_WINDOW;
            while (cursor < last) {
                long upTo = Math.min(last, cursor + window);
                int p = 1;
                select.setString(p++, runId.toString());
                select.setLong(p++, cursor);
                select.setLong(p++, upTo);
                for (EventType type : types) {
                    select.setString(p++, type.wire());
                }
                if (pattern != null) {
                    select.setString(p++, pattern);
                }
                int ask = databaseDecides ? Math.min(CHUNK, limit - found.size()) : CHUNK;
                select.setInt(p++, ask);
                if (cutByBytes) {
                    select.setInt(p, CHUNK_BYTES);
                }
                int rows = 0;
                long readBytes = 0;
                long lastRead = cursor;
                try (ResultSet result = select.executeQuery()) {
                    while (result.next()) {
                        rows++;
                        lastRead = result.getLong(1);
                        EventType type = EventType.fromWire(result.getString(2));
                        byte[] body = result.getBytes(4);
                        readBytes += body.length;
                        // Parsed here, not by RunEvent.payload(), which would keep every tree read.
                        if (filter.accepts(type, Json.parseTrusted(body).path("payload"))) {
                            found.add(RunEvent.stored(runId, lastRead, type, Instant.ofEpochMilli(result.getLong(3)), body));
                            foundBytes += body.length;
                            if (found.size() == limit || foundBytes >= maxBytes) {
                                return new EventPage(found, lastRead < last ? lastRead : -1, lastRead);
                            }
                        }
                    }
                }
                // A statement that may have stopped short of its window goes on from its last row;
                // one that read its window through found too little there: the next window is wider.
                boolean stoppedShort = rows == ask || (cutByBytes && readBytes >= CHUNK_BYTES);
                cursor = stoppedShort ? lastRead : upTo;
                if (!stoppedShort) {
                    window = Math.min(WINDOW, window * 4);
                }
                if (cursor < last && System.nanoTime() > deadline) {
                    return new EventPage(found, cursor, cursor);
                }
            }
        }
        return new EventPage(found, -1, Math.max(afterSeq, last));
    }

    /** The run's last seq, 0 for a run that does not exist (nothing to read). */
    private static long lastSeq(Connection connection, UUID runId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT last_seq FROM runs WHERE run_id = ?")) {
            select.setString(1, runId.toString());
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getLong(1) : 0;
            }
        }
    }

    /**
     * The {@code LIKE} pattern (escape {@code \}) that finds {@code text} as the stored JSON writes
     * it, or null when there is no text or the database could miss a match by its case.
     */
    static String pattern(String text) {
        if (text == null || !text.chars().allMatch(c -> c < 0x80)) {
            return null;
        }
        String json = new String(JsonStringEncoder.getInstance().quoteAsString(text));
        StringBuilder pattern = new StringBuilder(json.length() + 2).append('%');
        for (char c : json.toCharArray()) {
            if (c == '%' || c == '_' || c == '\\') {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.append('%').toString();
    }
}
