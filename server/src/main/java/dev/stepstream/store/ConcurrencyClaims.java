package dev.stepstream.store;

import dev.stepstream.store.GroupPlan.GroupRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The claim of queued runs that have a concurrency key, one key at a time, so that a key's limit
 * holds across every node (docs/architecture.md, "Concurrency groups across nodes").
 *
 * <p>Only this claim moves a run of a key into a slot (a queued run claimed to be started), and it
 * does so in a transaction that first takes the key's lock ({@link Dialect#keyLock}: on PostgreSQL
 * an advisory lock held until the transaction ends; SQLite has one writer at a time already), then
 * reads the key's runs and claims up to the limit. Under READ COMMITTED each statement reads what
 * was committed before it began, and the read begins after the lock was granted, hence after the
 * commit of the transaction that held it: a claimer counts every slot that an earlier claim of the
 * key took, and no two nodes can both take the last one. Everything else that changes a key's runs
 * frees slots or keeps them (a run starts, ends, is released by an adoption, is claimed to be
 * ended), so it needs no lock; a claim's UPDATE takes only rows still queued and unclaimed.
 */
final class ConcurrencyClaims {

    /** The advisory lock space of concurrency keys (the first of two ints), shared with no other lock of ours. */
    static final int LOCK_SPACE = 0x5353_4b31;

    private static final String ROW_COLUMNS =
            "run_id, status, owner, claimed_to_end, cancel_requested, created_at, concurrency_limit, on_limit";
    private static final String UNFINISHED = "status IN ('queued', 'running', 'waiting')";
    private static final int IDS_PER_STATEMENT = 500;

    private ConcurrencyClaims() {}

    /**
     * The unfinished runs of every key that has a queued run no node has claimed, by key, each
     * oldest first. Read without a lock, to find the keys a claim has something to do for: the
     * claim itself reads each such key again under its lock ({@link #claim}).
     */
    static Map<String, List<GroupRow>> waiting(Connection connection, Dialect dialect) throws SQLException {
        Map<String, List<GroupRow>> groups = new LinkedHashMap<>();
        // The subquery repeats the terms of the partial index runs_queued_by_key, so that both
        // databases read only that index: empty when no workflow has a key, and every claim asks.
        try (PreparedStatement select = connection.prepareStatement("SELECT concurrency_key, " + ROW_COLUMNS + " FROM runs"
                + " WHERE concurrency_key IN (SELECT concurrency_key FROM runs" + dialect.indexedBy("runs_queued_by_key")
                + " WHERE status = 'queued' AND concurrency_key IS NOT NULL AND owner IS NULL)"
                + " AND " + UNFINISHED + " ORDER BY concurrency_key, created_at, run_id");
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                groups.computeIfAbsent(rows.getString(1), key -> new ArrayList<>()).add(row(rows));
            }
        }
        return groups;
    }

    /** What {@link #claim} did for one key. */
    record KeyClaim(List<ClaimedRun> runs, List<UUID> cancels, boolean heldBack, int started) {
        static final KeyClaim NONE = new KeyClaim(List.of(), List.of(), false, 0);
    }

    /**
     * In the caller's write transaction: takes the key's lock, reads its runs, and claims for
     * {@code nodeId} (which must be registered) what {@link GroupPlan} says, starting at most
     * {@code budget} runs; records the cancels it asks for.
     */
    static KeyClaim claim(Connection connection, Dialect dialect, String key, String nodeId, int budget) throws SQLException {
        if (dialect.keyLock() != null) {
            try (PreparedStatement lock = connection.prepareStatement(dialect.keyLock())) {
                lock.setInt(1, LOCK_SPACE);
                lock.setString(2, key);
                lock.execute();
            }
        }
        if (!registered(connection, nodeId)) {
            return KeyClaim.NONE;
        }
        List<GroupRow> rows = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT " + ROW_COLUMNS + " FROM runs"
                + " WHERE concurrency_key = ? AND " + UNFINISHED + " ORDER BY created_at, run_id")) {
            select.setString(1, key);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    rows.add(row(result));
                }
            }
        }
        GroupPlan plan = GroupPlan.of(rows, budget);
        List<ClaimedRun> started = take(connection, plan.start(), nodeId, false);
        List<ClaimedRun> runs = new ArrayList<>(started);
        runs.addAll(take(connection, plan.end(), nodeId, true));
        List<UUID> cancels = new ArrayList<>();
        for (List<String> ids : chunks(plan.cancel())) {
            try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET cancel_requested = 1"
                    + " WHERE run_id IN (" + placeholders(ids.size()) + ") AND " + UNFINISHED)) {
                bind(update, 1, ids);
                update.executeUpdate();
            }
            ids.forEach(id -> cancels.add(UUID.fromString(id)));
        }
        return new KeyClaim(runs, cancels, plan.heldBack(), started.size());
    }

    /**
     * Claims these runs for the node, if they are still queued and unclaimed (a cancel may have
     * claimed one meanwhile, to end it): to be started, or ({@code toEnd}) only to be ended.
     */
    private static List<ClaimedRun> take(Connection connection, List<GroupRow> rows, String nodeId, boolean toEnd)
            throws SQLException {
        List<ClaimedRun> claimed = new ArrayList<>();
        for (List<String> ids : chunks(rows)) {
            try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET owner = ?, claimed_to_end = ?"
                    + " WHERE run_id IN (" + placeholders(ids.size()) + ") AND status = 'queued' AND owner IS NULL"
                    + " RETURNING " + JdbcStore.CLAIM_COLUMNS)) {
                update.setString(1, nodeId);
                update.setInt(2, toEnd ? 1 : 0);
                bind(update, 3, ids);
                for (ClaimedRun run : JdbcStore.claimedRuns(update)) {
                    // Ended at the limit, unless a cancel came first: then it ends as cancelled before it started.
                    claimed.add(toEnd && !run.cancelRequested() ? withOverLimit(run) : run);
                }
            }
        }
        return claimed;
    }

    private static ClaimedRun withOverLimit(ClaimedRun run) {
        return new ClaimedRun(run.runId(), run.workflowId(), run.workflowVersion(), run.status(), run.inputs(),
                run.definition(), run.createdAt(), run.lastSeq(), run.cancelRequested(), run.parent(), run.retry(),
                run.trigger(), true);
    }

    private static boolean registered(Connection connection, String nodeId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM nodes WHERE node_id = ?")) {
            select.setString(1, nodeId);
            try (ResultSet row = select.executeQuery()) {
                return row.next();
            }
        }
    }

    private static GroupRow row(ResultSet rows) throws SQLException {
        return new GroupRow(rows.getString("run_id"), rows.getString("status"), rows.getString("owner"),
                rows.getInt("claimed_to_end") != 0, rows.getInt("cancel_requested") != 0, rows.getLong("created_at"),
                rows.getInt("concurrency_limit"), rows.getString("on_limit") == null ? "queue" : rows.getString("on_limit"));
    }

    private static List<List<String>> chunks(List<GroupRow> rows) {
        List<String> ids = rows.stream().map(GroupRow::runId).toList();
        List<List<String>> chunks = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += IDS_PER_STATEMENT) {
            chunks.add(ids.subList(from, Math.min(ids.size(), from + IDS_PER_STATEMENT)));
        }
        return chunks;
    }

    private static String placeholders(int count) {
        return String.join(", ", Collections.nCopies(count, "?"));
    }

    private static void bind(PreparedStatement statement, int first, List<String> ids) throws SQLException {
        for (int i = 0; i < ids.size(); i++) {
            statement.setString(first + i, ids.get(i));
        }
    }
}
