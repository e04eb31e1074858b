package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventFilter;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import dev.stepstream.json.Json;
import dev.stepstream.store.RunDetail.StepState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Store} on JDBC: one implementation, and one SQL text, for SQLite and PostgreSQL;
 * what differs lives in {@link Dialect} and in how {@link Stores} builds the pools.
 *
 * <p>Thread-safety: holds no mutable state of its own. The committer thread calls
 * {@link #commit}; API threads call everything else concurrently. Writes are transactions on
 * the writer pool (serialised for SQLite, see {@link Database}); reads use the reader pool and
 * never wait for a write.
 */
final class JdbcStore implements Store {
    private static final Logger log = LoggerFactory.getLogger(JdbcStore.class);

    private static final String WORKFLOW_COLUMNS = "id, name, description, version, updated_at, step_count, definition";
    private static final String SUMMARY_COLUMNS =
            "run_id, workflow_id, workflow_version, status, created_at, started_at, finished_at, duration_ms, error, last_seq,"
            + " trigger_type, trigger_id, trigger_due_at, inputs";
    private static final String DETAIL_COLUMNS = SUMMARY_COLUMNS + ", definition, retry_of, retry_from";
    private static final String STEP_COLUMNS = "run_id, step_id, step_name, status, attempt, started_at, duration_ms, error, outputs, finished_at";

    /**
     * Inserts the workflow with the version after its last kept one (1 for a new id), or replaces
     * the row with version + 1 only when the definition differs; RETURNING yields no row for an
     * unchanged definition. One statement, so two concurrent puts of one id cannot both insert.
     * The CASE goes past a kept version above the current one (left by runs of a workflow deleted
     * and created again before versions were kept); otherwise it is version + 1, which PostgreSQL
     * evaluates on the row a concurrent put left.
     */
    private static final String PUT_WORKFLOW = """
            INSERT INTO workflows (id, name, description, version, updated_at, step_count, definition)
            VALUES (?, ?, ?, (SELECT COALESCE(MAX(version), 0) + 1 FROM workflow_versions WHERE workflow_id = ?), ?, ?, ?)
            ON CONFLICT (id) DO UPDATE
               SET name = excluded.name,
                   description = excluded.description,
                   version = CASE WHEN excluded.version > workflows.version THEN excluded.version
                                  ELSE workflows.version + 1 END,
                   updated_at = excluded.updated_at,
                   step_count = excluded.step_count,
                   definition = excluded.definition
             WHERE workflows.definition <> excluded.definition
            RETURNING\s""" + WORKFLOW_COLUMNS;

    private final Database db;

    JdbcStore(Database db) {
        this.db = db;
    }

    @Override
    public List<StoredWorkflow> listWorkflows() {
        return db.read("list workflows", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + WORKFLOW_COLUMNS + " FROM workflows ORDER BY id");
                 ResultSet rows = select.executeQuery()) {
                List<StoredWorkflow> workflows = new ArrayList<>();
                while (rows.next()) {
                    workflows.add(workflow(rows));
                }
                return workflows;
            }
        });
    }

    @Override
    public Map<String, Integer> workflowVersions() {
        return db.read("list workflow versions", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT id, version FROM workflows");
                 ResultSet rows = select.executeQuery()) {
                Map<String, Integer> versions = new HashMap<>();
                while (rows.next()) {
                    versions.put(rows.getString(1), rows.getInt(2));
                }
                return versions;
            }
        });
    }

    @Override
    public Optional<StoredWorkflow> findWorkflow(String workflowId) {
        return db.read("find workflow " + workflowId, connection -> selectWorkflow(connection, workflowId));
    }

    private static Optional<StoredWorkflow> selectWorkflow(Connection connection, String workflowId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + WORKFLOW_COLUMNS + " FROM workflows WHERE id = ?")) {
            select.setString(1, workflowId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(workflow(row)) : Optional.empty();
            }
        }
    }

    /**
     * The put and its version row, in one transaction. Whether it created the workflow is read
     * before the put: in PostgreSQL, of two puts that create one id at the same moment, both may
     * say so (one stores version n, the other n + 1).
     */
    @Override
    public PutOutcome putWorkflow(WorkflowDraft draft, Instant now) {
        return db.write("put workflow " + draft.id(), connection -> {
            boolean existed = workflowExists(connection, draft.id());
            try (PreparedStatement put = connection.prepareStatement(PUT_WORKFLOW)) {
                put.setString(1, draft.id());
                put.setString(2, draft.name());
                put.setString(3, draft.description());
                put.setString(4, draft.id());
                put.setLong(5, now.toEpochMilli());
                put.setInt(6, draft.stepCount());
                put.setBytes(7, draft.definition());
                try (ResultSet row = put.executeQuery()) {
                    if (row.next()) {
                        StoredWorkflow stored = workflow(row);
                        insertVersion(connection, stored);
                        return new PutOutcome(stored, !existed, existed);
                    }
                }
            }
            StoredWorkflow unchanged = selectWorkflow(connection, draft.id()).orElseThrow();
            return new PutOutcome(unchanged, false, false);
        });
    }

    private static boolean workflowExists(Connection connection, String workflowId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM workflows WHERE id = ?")) {
            select.setString(1, workflowId);
            try (ResultSet row = select.executeQuery()) {
                return row.next();
            }
        }
    }

    private static void insertVersion(Connection connection, StoredWorkflow stored) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO workflow_versions (workflow_id, version, definition, updated_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, stored.id());
            insert.setInt(2, stored.version());
            insert.setBytes(3, stored.definition());
            insert.setLong(4, stored.updatedAt().toEpochMilli());
            insert.executeUpdate();
        }
    }

    @Override
    public boolean deleteWorkflow(String workflowId) {
        return db.write("delete workflow " + workflowId, connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM workflows WHERE id = ?")) {
                delete.setString(1, workflowId);
                return delete.executeUpdate() > 0;
            }
        });
    }

    @Override
    public List<WorkflowVersion> listWorkflowVersions(String workflowId) {
        return db.read("list versions of workflow " + workflowId, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT version, updated_at FROM workflow_versions WHERE workflow_id = ? ORDER BY version DESC")) {
                select.setString(1, workflowId);
                try (ResultSet rows = select.executeQuery()) {
                    List<WorkflowVersion> versions = new ArrayList<>();
                    while (rows.next()) {
                        versions.add(new WorkflowVersion(rows.getInt(1), Instant.ofEpochMilli(rows.getLong(2))));
                    }
                    return versions;
                }
            }
        });
    }

    @Override
    public Optional<StoredVersion> findWorkflowVersion(String workflowId, int version) {
        return db.read("find version " + version + " of workflow " + workflowId, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT updated_at, definition FROM workflow_versions WHERE workflow_id = ? AND version = ?")) {
                select.setString(1, workflowId);
                select.setInt(2, version);
                try (ResultSet row = select.executeQuery()) {
                    return row.next()
                            ? Optional.of(new StoredVersion(workflowId, version, Instant.ofEpochMilli(row.getLong(1)), row.getBytes(2)))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public void createRun(NewRun run) {
        db.write("create run " + run.runId(), connection -> insertRun(connection, run));
    }

    /**
     * The compare-and-set is one upsert, the same text in both dialects: it inserts the first due
     * time of a (workflow, trigger), or moves a stored one forward; a due time at or before the
     * stored one matches the upsert's WHERE on no row, and 0 rows change. PostgreSQL, of two
     * concurrent upserts, makes the second wait for the first's row and evaluates its WHERE on the
     * committed row, so one of them wins; SQLite has one writer. The run goes in the same
     * transaction: a run and its due time are stored together or not at all.
     */
    @Override
    public boolean fireSchedule(String workflowId, String triggerId, Instant dueAt, NewRun run) {
        return db.write("fire schedule " + triggerId + " of workflow " + workflowId + " due at " + dueAt, connection -> {
            try (PreparedStatement advance = connection.prepareStatement("""
                    INSERT INTO schedule_fires (workflow_id, trigger_id, last_due_at) VALUES (?, ?, ?)
                    ON CONFLICT (workflow_id, trigger_id) DO UPDATE SET last_due_at = excluded.last_due_at
                     WHERE schedule_fires.last_due_at < excluded.last_due_at""")) {
                advance.setString(1, workflowId);
                advance.setString(2, triggerId);
                advance.setLong(3, dueAt.toEpochMilli());
                if (advance.executeUpdate() == 0) {
                    return false;
                }
            }
            if (run != null) {
                insertRun(connection, run);
            }
            return true;
        });
    }

    private static Void insertRun(Connection connection, NewRun run) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO runs (run_id, workflow_id, workflow_version, status, inputs, definition, created_at, last_seq,
                                  parent_run_id, parent_step_id, depth, resumable, approvals, retry_of, retry_from,
                                  trigger_type, trigger_id, trigger_due_at, concurrency_key, concurrency_limit, on_limit)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, run.runId().toString());
            insert.setString(2, run.workflowId());
            insert.setInt(3, run.workflowVersion());
            insert.setString(4, RunStatus.QUEUED.wire());
            insert.setBytes(5, run.inputs());
            insert.setBytes(6, run.definition());
            insert.setLong(7, run.createdAt().toEpochMilli());
            RunParent parent = run.parent();
            insert.setString(8, parent == null ? null : parent.runId().toString());
            insert.setString(9, parent == null ? null : parent.stepId());
            insert.setInt(10, parent == null ? 0 : parent.depth());
            insert.setInt(11, run.resumable() ? 1 : 0);
            insert.setInt(12, run.approvals() ? 1 : 0);
            insert.setString(13, run.retry() == null ? null : run.retry().runId().toString());
            insert.setString(14, run.retry() == null ? null : run.retry().from());
            insert.setString(15, run.trigger().type());
            insert.setString(16, run.trigger().id());
            insert.setObject(17, run.trigger().dueAt() == null ? null : run.trigger().dueAt().toEpochMilli(), Types.BIGINT);
            RunConcurrency concurrency = run.concurrency();
            insert.setString(18, concurrency == null ? null : concurrency.key());
            insert.setObject(19, concurrency == null ? null : concurrency.limit(), Types.INTEGER);
            insert.setString(20, concurrency == null ? null : concurrency.onLimit());
            insert.executeUpdate();
        }
        if (run.steps().isEmpty()) {
            return null;
        }
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO run_steps (run_id, position, step_id, step_name, status, attempt)
                VALUES (?, ?, ?, ?, ?, 0)""")) {
            int position = 0;
            for (NewRun.StepRef step : run.steps()) {
                insert.setString(1, run.runId().toString());
                insert.setInt(2, position++);
                insert.setString(3, step.stepId());
                insert.setString(4, step.stepName());
                insert.setString(5, StepStatus.PENDING.wire());
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return null;
    }

    @Override
    public Optional<RunDetail> findRun(UUID runId) {
        String id = runId.toString();
        return db.snapshot("find run " + id, connection -> {
            RunRow run;
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + DETAIL_COLUMNS + workflowName() + " FROM runs WHERE run_id = ?")) {
                select.setString(1, id);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    run = runRow(row);
                }
            }
            Map<String, List<StepState>> steps = steps(connection, "run_id = ?", List.of(id));
            Map<String, ObjectNode> variables = variables(connection, "run_id = ?", List.of(id));
            return Optional.of(run.detail(steps, variables));
        });
    }

    @Override
    public Optional<RunPosition> findPosition(UUID runId) {
        return db.read("find position of run " + runId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT status, last_seq FROM runs WHERE run_id = ?")) {
                select.setString(1, runId.toString());
                try (ResultSet row = select.executeQuery()) {
                    return row.next()
                            ? Optional.of(new RunPosition(RunStatus.fromWire(row.getString(1)), row.getLong(2)))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public RunPage listRuns(RunQuery query) {
        if (query.limit() < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + query.limit());
        }
        List<String> conditions = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        if (query.workflowId() != null) {
            conditions.add("workflow_id = ?");
            parameters.add(query.workflowId());
        }
        if (query.status() != null) {
            conditions.add("status = ?");
            parameters.add(query.status().wire());
        }
        if (query.trigger() != null) {
            conditions.add("trigger_type = ?");
            parameters.add(query.trigger());
        }
        if (query.before() != null) {
            RunCursor before = RunCursor.decode(query.before());
            conditions.add("(created_at, run_id) < (?, ?)");
            parameters.add(before.createdAtMillis());
            parameters.add(before.runId());
        }
        String sql = "SELECT " + SUMMARY_COLUMNS + workflowName() + " FROM runs"
                + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions))
                + " ORDER BY created_at DESC, run_id DESC LIMIT ?";
        // One row past the page says whether there is a next page.
        parameters.add((long) query.limit() + 1);
        return db.read("list runs", connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                bind(select, parameters);
                List<RunSummary> runs = new ArrayList<>();
                String next = null;
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        if (runs.size() == query.limit()) {
                            RunSummary last = runs.getLast();
                            next = new RunCursor(last.createdAt().toEpochMilli(), last.runId().toString()).encode();
                            break;
                        }
                        runs.add(summary(rows));
                    }
                }
                return new RunPage(withLastSteps(connection, runs), next);
            }
        });
    }

    @Override
    public List<RunDetail> runsWithStatus(Set<RunStatus> statuses) {
        if (statuses.isEmpty()) {
            return List.of();
        }
        List<Object> wires = statuses.stream().<Object>map(RunStatus::wire).toList();
        String inStatuses = "status IN (" + String.join(", ", Collections.nCopies(wires.size(), "?")) + ")";
        String ofThoseRuns = "run_id IN (SELECT run_id FROM runs WHERE " + inStatuses + ")";
        return db.snapshot("find runs with status " + wires, connection -> {
            List<RunRow> runs = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + DETAIL_COLUMNS + workflowName() + " FROM runs WHERE " + inStatuses + " ORDER BY created_at, run_id")) {
                bind(select, wires);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        runs.add(runRow(rows));
                    }
                }
            }
            if (runs.isEmpty()) {
                return List.of();
            }
            Map<String, List<StepState>> steps = steps(connection, ofThoseRuns, wires);
            Map<String, ObjectNode> variables = variables(connection, ofThoseRuns, wires);
            return runs.stream().map(run -> run.detail(steps, variables)).toList();
        });
    }

    @Override
    public void commit(String writer, List<RunEvent> batch) {
        if (batch.isEmpty()) {
            return;
        }
        BatchEffects effects = BatchEffects.fold(batch);
        db.write("commit " + batch.size() + " events of " + effects.runCount() + " run(s)", connection -> {
            BatchWriter.write(connection, db.dialect(), writer, batch, effects);
            return null;
        });
    }

    @Override
    public List<RunEvent> events(UUID runId, long afterSeq, int limit) {
        return events(runId, afterSeq, limit, false);
    }

    @Override
    public List<RunEvent> eventsToFold(UUID runId, long afterSeq, int limit) {
        return events(runId, afterSeq, limit, true);
    }

    @Override
    public EventPage eventsWithin(UUID runId, long afterSeq, int limit, int maxBytes) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        // sqlite-jdbc steps through the rows as they are read, so the loop's stop is the bound.
        // PostgreSQL's driver receives the whole result before the first row is read (without a
        // cursor, which needs a transaction and a round trip per fetch), so there the statement
        // stops at the bytes as well. The running sum costs PostgreSQL about 0.5 ms a page of
        // 1,000; SQLite, whose plan sorts into two temporary B-trees, 3 ms where the read is 0.5.
        String sql = db.dialect().stoppingAtBytes(
                "SELECT seq, type, time, body FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?");
        return db.read("read events of run " + runId, connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                select.setString(1, runId.toString());
                select.setLong(2, afterSeq);
                select.setInt(3, limit);
                if (db.dialect().receivesResultsWhole()) {
                    select.setLong(4, maxBytes);
                }
                List<RunEvent> events = new ArrayList<>();
                long bytes = 0;
                try (ResultSet rows = select.executeQuery()) {
                    while (bytes < maxBytes && rows.next()) {
                        RunEvent event = storedEvent(runId, rows, false);
                        events.add(event);
                        bytes += event.json().length;
                    }
                }
                long last = events.isEmpty() ? afterSeq : events.getLast().seq();
                return new EventPage(events, events.size() == limit || bytes >= maxBytes ? last : -1, last);
            }
        });
    }

    /**
     * The event of a row of {@code seq, type, time, body[, full_value]}, from the columns: the
     * envelope's payload is parsed only if someone asks for it.
     */
    private static RunEvent storedEvent(UUID runId, ResultSet rows, boolean withWholeValue) throws SQLException {
        return RunEvent.stored(runId, rows.getLong(1), EventType.fromWire(rows.getString(2)),
                Instant.ofEpochMilli(rows.getLong(3)), rows.getBytes(4), withWholeValue ? rows.getBytes(5) : null);
    }

    /** A page of a run's events, from the columns, with the whole values kept beside them when {@code withWholeValues}. */
    private List<RunEvent> events(UUID runId, long afterSeq, int limit, boolean withWholeValues) {
        if (limit < 1) {
            return List.of();
        }
        String sql = withWholeValues
                ? "SELECT seq, type, time, body, full_value FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"
                : "SELECT seq, type, time, body FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?";
        return db.read("read events of run " + runId + (withWholeValues ? " to fold" : ""), connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                select.setString(1, runId.toString());
                select.setLong(2, afterSeq);
                select.setInt(3, limit);
                List<RunEvent> events = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        events.add(storedEvent(runId, rows, withWholeValues));
                    }
                }
                return events;
            }
        });
    }

    @Override
    public EventPage events(UUID runId, long afterSeq, int limit, int maxBytes, EventFilter filter) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        return db.read("search events of run " + runId,
                connection -> EventSearch.page(connection, db.dialect(), runId, afterSeq, limit, maxBytes, filter));
    }

    @Override
    public List<ActiveRun> activeRuns(Instant endedSince) {
        return db.read("read the active runs", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT run_id, workflow_id, workflow_version, created_at, status, last_seq, trigger_type, trigger_id,"
                            + " trigger_due_at FROM runs"
                            + " WHERE status IN ('queued', 'running', 'waiting') OR finished_at >= ? ORDER BY created_at, run_id")) {
                select.setLong(1, endedSince.toEpochMilli());
                List<ActiveRun> runs = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        runs.add(new ActiveRun(UUID.fromString(rows.getString(1)), rows.getString(2), rows.getInt(3),
                                Instant.ofEpochMilli(rows.getLong(4)), RunStatus.fromWire(rows.getString(5)), rows.getLong(6),
                                trigger(rows)));
                    }
                }
                return runs;
            }
        });
    }

    @Override
    public List<RunEvent> runLevelEvents(UUID runId, long afterSeq) {
        return db.read("read run-level events of run " + runId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT seq, type, time, body FROM events"
                    + " WHERE run_id = ? AND seq > ? AND type IN ('run_start', 'run_resumed', 'step_waiting', 'step_complete', 'run_complete') ORDER BY seq")) {
                select.setString(1, runId.toString());
                select.setLong(2, afterSeq);
                List<RunEvent> events = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        events.add(RunEvent.stored(runId, rows.getLong(1), EventType.fromWire(rows.getString(2)),
                                Instant.ofEpochMilli(rows.getLong(3)), rows.getBytes(4)));
                    }
                }
                return events;
            }
        });
    }

    private static final int IDS_PER_QUERY = 500;

    @Override
    public Map<UUID, Long> lastSeqs(Collection<UUID> runIds) {
        List<Object> ids = runIds.stream().<Object>map(UUID::toString).toList();
        Map<UUID, Long> lastSeqs = new HashMap<>();
        for (int from = 0; from < ids.size(); from += IDS_PER_QUERY) {
            List<Object> chunk = ids.subList(from, Math.min(ids.size(), from + IDS_PER_QUERY));
            db.read("read where " + chunk.size() + " runs' logs end", connection -> {
                try (PreparedStatement select = connection.prepareStatement("SELECT run_id, last_seq FROM runs WHERE run_id IN ("
                        + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")")) {
                    bind(select, chunk);
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            lastSeqs.put(UUID.fromString(rows.getString(1)), rows.getLong(2));
                        }
                    }
                }
                return null;
            });
        }
        return lastSeqs;
    }

    @Override
    public int countQueued() {
        return db.read("count queued runs", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM runs WHERE status = 'queued'");
                 ResultSet row = select.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        });
    }

    /** The statuses of a finished run, for SQL: a run is deleted only in one of them. */
    private static final String FINISHED = java.util.Arrays.stream(RunStatus.values()).filter(RunStatus::isTerminal)
            .map(status -> "'" + status.wire() + "'").collect(java.util.stream.Collectors.joining(", "));

    /**
     * The run's row goes only if it has finished, checked by the DELETE itself, so a run cannot
     * be deleted as it is cancelled, retried or resumed (SQLite: one writer; PostgreSQL: the
     * row's lock). Its events, which may be millions of rows, are left to {@link #purgeEvents},
     * in short transactions of their own, recorded in {@code run_purges} meanwhile.
     */
    @Override
    public RunDeletion deleteRun(UUID runId) {
        String id = runId.toString();
        return db.write("delete run " + id, connection -> {
            String workflowId;
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM runs WHERE run_id = ? AND status IN (" + FINISHED + ") RETURNING workflow_id")) {
                delete.setString(1, id);
                try (ResultSet row = delete.executeQuery()) {
                    if (!row.next()) {
                        return notDeleted(connection, id);
                    }
                    workflowId = row.getString(1);
                }
            }
            for (String table : List.of("run_steps", "run_variables")) {
                try (PreparedStatement delete = connection.prepareStatement("DELETE FROM " + table + " WHERE run_id = ?")) {
                    delete.setString(1, id);
                    delete.executeUpdate();
                }
            }
            Instant now = Instant.now();
            try (PreparedStatement pending = connection.prepareStatement(
                    "INSERT INTO run_purges (run_id, deleted_at) VALUES (?, ?) ON CONFLICT (run_id) DO NOTHING")) {
                pending.setString(1, id);
                pending.setLong(2, now.toEpochMilli());
                pending.executeUpdate();
            }
            if (db.dialect().sharedByNodes()) {
                recordDeletion(connection, id, workflowId, now);
            }
            return new RunDeletion.Deleted(workflowId);
        });
    }

    /** For {@link #deletedRuns}; deletions older than {@link Store#DELETIONS_KEPT} go at the same time (by the index, cheap when none). */
    private static void recordDeletion(Connection connection, String runId, String workflowId, Instant now) throws SQLException {
        try (PreparedStatement record = connection.prepareStatement(
                "INSERT INTO run_deletions (run_id, workflow_id, deleted_at) VALUES (?, ?, ?) ON CONFLICT (run_id) DO NOTHING")) {
            record.setString(1, runId);
            record.setString(2, workflowId);
            record.setLong(3, now.toEpochMilli());
            record.executeUpdate();
        }
        try (PreparedStatement forget = connection.prepareStatement("DELETE FROM run_deletions WHERE deleted_at < ?")) {
            forget.setLong(1, now.minus(DELETIONS_KEPT).toEpochMilli());
            forget.executeUpdate();
        }
    }

    @Override
    public List<DeletedRun> deletedRuns(Instant deletedSince) {
        return db.read("read the runs deleted lately", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT run_id, workflow_id FROM run_deletions WHERE deleted_at >= ? ORDER BY deleted_at, run_id")) {
                select.setLong(1, deletedSince.toEpochMilli());
                List<DeletedRun> runs = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        runs.add(new DeletedRun(UUID.fromString(rows.getString(1)), rows.getString(2)));
                    }
                }
                return runs;
            }
        });
    }

    private static RunDeletion notDeleted(Connection connection, String id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT status FROM runs WHERE run_id = ?")) {
            select.setString(1, id);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? new RunDeletion.NotFinished(RunStatus.fromWire(row.getString(1))) : RunDeletion.NOT_FOUND;
            }
        }
    }

    /** By seq range from the lowest left (the primary key's order): each chunk reads only what it deletes. */
    @Override
    public long purgeEvents(UUID runId, int maxRows) {
        String id = runId.toString();
        return db.write("purge events of deleted run " + id, connection -> {
            long lowest;
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT (SELECT MIN(seq) FROM events WHERE run_id = ?) FROM run_purges WHERE run_id = ?")) {
                select.setString(1, id);
                select.setString(2, id);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return 0L; // not deleted, or purged already
                    }
                    lowest = row.getLong(1);
                    if (row.wasNull()) {
                        try (PreparedStatement done = connection.prepareStatement("DELETE FROM run_purges WHERE run_id = ?")) {
                            done.setString(1, id);
                            done.executeUpdate();
                        }
                        return 0L;
                    }
                }
            }
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM events WHERE run_id = ? AND seq >= ? AND seq < ?")) {
                delete.setString(1, id);
                delete.setLong(2, lowest);
                delete.setLong(3, lowest + maxRows);
                return (long) delete.executeUpdate();
            }
        });
    }

    @Override
    public List<UUID> pendingPurges(int limit) {
        return db.read("read the deleted runs whose events are left", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT run_id FROM run_purges ORDER BY deleted_at, run_id LIMIT ?")) {
                select.setInt(1, limit);
                List<UUID> runs = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        runs.add(UUID.fromString(rows.getString(1)));
                    }
                }
                return runs;
            }
        });
    }

    /**
     * A run no node holds and that one may claim to end it: queued, running and handed back to
     * be resumed (its node stopped, or died and its lease lapsed, and its workflow says
     * onInterrupt: resume), or waiting for a decision.
     */
    private static final String UNHELD =
            "owner IS NULL AND (status = 'queued' OR (status = 'running' AND resumable = 1) OR status = 'waiting')";

    /**
     * A run a node may claim to run it, with no lock: as {@link #UNHELD}, a waiting one only from
     * its {@code wake_at} (a decision came, or its first deadline passed; the parameter is now),
     * and a queued one only without a concurrency key ({@link ConcurrencyClaims} claims those). A
     * running or waiting run of a key holds its slot already, and keeps it through this claim.
     * The first two terms are those of the partial index runs_claimable, through which both
     * databases read only the runs no node holds that have not ended, oldest first, and stop at
     * the first few that match.
     */
    private static final String CLAIMABLE = "owner IS NULL AND status IN ('queued', 'running', 'waiting')"
            + " AND ((status = 'queued' AND concurrency_key IS NULL) OR (status = 'running' AND resumable = 1)"
            + " OR (status = 'waiting' AND wake_at <= ?))";

    /** The columns a claimed run comes back with. */
    static final String CLAIM_COLUMNS =
            "run_id, workflow_id, workflow_version, status, inputs, definition, created_at, last_seq, cancel_requested,"
            + " parent_run_id, parent_step_id, depth, retry_of, retry_from, trigger_type, trigger_id, trigger_due_at";

    @Override
    public void registerNode(String nodeId, Instant now, Instant leaseUntil) {
        db.write("register node " + nodeId, connection -> {
            try (PreparedStatement forget = connection.prepareStatement("DELETE FROM nodes WHERE node_id = ?");
                 PreparedStatement orphan = connection.prepareStatement(
                         "UPDATE runs SET owner = NULL, wake_at = CASE WHEN status = 'waiting' THEN 0 ELSE wake_at END"
                                 + " WHERE owner = ? AND status IN ('queued', 'running', 'waiting')");
                 PreparedStatement insert = connection.prepareStatement(
                         "INSERT INTO nodes (node_id, started_at, lease_until) VALUES (?, ?, ?)")) {
                forget.setString(1, nodeId);
                forget.executeUpdate();
                orphan.setString(1, nodeId);
                orphan.executeUpdate();
                insert.setString(1, nodeId);
                insert.setLong(2, now.toEpochMilli());
                insert.setLong(3, leaseUntil.toEpochMilli());
                insert.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public boolean renewLease(String nodeId, Instant leaseUntil) {
        return db.write("renew the lease of node " + nodeId, connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE nodes SET lease_until = ? WHERE node_id = ?")) {
                update.setLong(1, leaseUntil.toEpochMilli());
                update.setString(2, nodeId);
                return update.executeUpdate() > 0;
            }
        });
    }

    @Override
    public void markBrokerDown(String nodeId, Instant until) {
        db.write("mark the broker of node " + nodeId + " down", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE nodes SET broker_down_until = ? WHERE node_id = ?")) {
                update.setLong(1, until.toEpochMilli());
                update.setString(2, nodeId);
                update.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public boolean anyNodeWithoutBroker(Instant now) {
        return db.read("find nodes whose broker is down", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT 1 FROM nodes WHERE broker_down_until > ? AND lease_until > ? LIMIT 1")) {
                select.setLong(1, now.toEpochMilli());
                select.setLong(2, now.toEpochMilli());
                try (ResultSet row = select.executeQuery()) {
                    return row.next();
                }
            }
        });
    }

    @Override
    public Optional<Instant> leaseOf(String nodeId) {
        return db.read("read the lease of node " + nodeId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT lease_until FROM nodes WHERE node_id = ?")) {
                select.setString(1, nodeId);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? Optional.of(Instant.ofEpochMilli(row.getLong(1))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void deregisterNode(String nodeId) {
        db.write("deregister node " + nodeId, connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM nodes WHERE node_id = ?")) {
                delete.setString(1, nodeId);
                delete.executeUpdate();
            }
            return null;
        });
    }

    /**
     * The runs of concurrency keys first, a key at a time under its lock ({@link ConcurrencyClaims}),
     * then the others in one statement, as before keys existed. The free slots go to the oldest
     * runs that can start, keyed or not. A node with no free slot still claims runs to end them
     * (skipped at their key's limit) and asks the cancels that make room for others.
     */
    @Override
    public Claim claimQueued(String nodeId, int max, Instant now) {
        Map<String, List<GroupPlan.GroupRow>> groups = db.read("find the concurrency keys with queued runs",
                connection -> ConcurrencyClaims.waiting(connection, db.dialect()));
        if (groups.isEmpty()) {
            return new Claim(claimUnkeyed(nodeId, max, now), List.of(), false);
        }
        Map<String, GroupPlan> plans = new LinkedHashMap<>();
        groups.forEach((key, rows) -> plans.put(key, GroupPlan.of(rows, Math.max(0, max))));
        Map<String, Integer> budgets = budgets(plans, max, now);
        List<ClaimedRun> claimed = new ArrayList<>();
        List<UUID> cancels = new ArrayList<>();
        boolean heldBack = false;
        int started = 0;
        try {
            for (Map.Entry<String, GroupPlan> group : plans.entrySet()) {
                String key = group.getKey();
                int budget = budgets.getOrDefault(key, 0);
                GroupPlan plan = group.getValue();
                if (!plan.acts() || (budget == 0 && plan.end().isEmpty() && plan.cancel().isEmpty())) {
                    heldBack |= plan.heldBack();
                    continue; // as read without the lock: nothing to claim or cancel for this key now
                }
                ConcurrencyClaims.KeyClaim done = db.write("claim the runs of a concurrency key for node " + nodeId,
                        connection -> ConcurrencyClaims.claim(connection, db.dialect(), key, nodeId, budget));
                claimed.addAll(done.runs());
                cancels.addAll(done.cancels());
                heldBack |= done.heldBack();
                started += done.started();
            }
            claimed.addAll(claimUnkeyed(nodeId, max - started, now));
        } catch (RuntimeException e) {
            if (claimed.isEmpty() && cancels.isEmpty()) {
                throw e;
            }
            // What the committed transactions claimed is this node's now: it must hear of it, or
            // no node would ever start those runs. The rest is claimed at the next wake or poll.
            log.warn("claimed {} runs, then could not claim more (retrying later): {}", claimed.size(), e.getMessage());
            heldBack = true;
        }
        return new Claim(claimed.stream().sorted(Comparator.comparing(ClaimedRun::createdAt)
                .thenComparing(run -> run.runId().toString())).toList(), cancels, heldBack);
    }

    /**
     * How many of the {@code max} free slots each key may take: the oldest runs that can start
     * get them, keyed ({@code plans}, as read without locks) or not. A key's runs claimed under
     * its lock may be fewer; the slots left go to runs without a key.
     */
    private Map<String, Integer> budgets(Map<String, GroupPlan> plans, int max, Instant now) {
        record Head(long createdAt, String runId, String key) {}
        List<Head> keyed = new ArrayList<>();
        plans.forEach((key, plan) -> plan.start().forEach(row -> keyed.add(new Head(row.createdAt(), row.runId(), key))));
        if (keyed.isEmpty() || max < 1) {
            return Map.of();
        }
        List<Head> heads = new ArrayList<>(keyed);
        db.read("find the oldest claimable runs", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT created_at, run_id FROM runs"
                    + db.dialect().indexedBy("runs_claimable") + " WHERE " + CLAIMABLE + " ORDER BY created_at, run_id LIMIT ?")) {
                select.setLong(1, now.toEpochMilli());
                select.setInt(2, max);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        heads.add(new Head(rows.getLong(1), rows.getString(2), null));
                    }
                }
            }
            return null;
        });
        heads.sort(Comparator.comparingLong(Head::createdAt).thenComparing(Head::runId));
        Map<String, Integer> budgets = new HashMap<>();
        heads.stream().limit(max).filter(head -> head.key() != null).forEach(head -> budgets.merge(head.key(), 1, Integer::sum));
        return budgets;
    }

    /** Claims the claimable runs without a concurrency key: one statement, which waits for no lock. */
    private List<ClaimedRun> claimUnkeyed(String nodeId, int max, Instant now) {
        if (max < 1) {
            return List.of();
        }
        // A materialised CTE, not "run_id IN (SELECT … LIMIT n)": PostgreSQL may run such a
        // subquery more than once in a join, claiming more than n runs.
        // Only a registered node claims: one whose lease lapsed must register again first.
        String sql = "WITH picked AS MATERIALIZED (SELECT run_id FROM runs" + db.dialect().indexedBy("runs_claimable")
                + " WHERE " + CLAIMABLE
                + " AND EXISTS (SELECT 1 FROM nodes WHERE node_id = ?)"
                + " ORDER BY created_at, run_id LIMIT ?" + db.dialect().skipLocked() + ")"
                + " UPDATE runs SET owner = ? FROM picked WHERE runs.run_id = picked.run_id RETURNING "
                + CLAIM_COLUMNS.replaceAll("(\\w+)", "runs.$1");
        List<ClaimedRun> claimed = db.write("claim queued runs for node " + nodeId, connection -> {
            try (PreparedStatement update = connection.prepareStatement(sql)) {
                update.setLong(1, now.toEpochMilli());
                update.setString(2, nodeId);
                update.setInt(3, max);
                update.setString(4, nodeId);
                return claimedRuns(update);
            }
        });
        // RETURNING promises no order: oldest first, as queued.
        return claimed.stream().sorted(Comparator.comparing(ClaimedRun::createdAt)
                .thenComparing(run -> run.runId().toString())).toList();
    }

    @Override
    public Optional<ClaimedRun> claimRun(UUID runId, String nodeId) {
        return db.write("claim run " + runId + " for node " + nodeId, connection -> {
            // Claimed to be ended: a queued run of a concurrency key holds no slot meanwhile.
            try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET owner = ?, claimed_to_end = 1 "
                    + "WHERE run_id = ? AND " + UNHELD + " RETURNING " + CLAIM_COLUMNS)) {
                update.setString(1, nodeId);
                update.setString(2, runId.toString());
                return claimedRuns(update).stream().findFirst();
            }
        });
    }

    static List<ClaimedRun> claimedRuns(PreparedStatement update) throws SQLException {
        List<ClaimedRun> runs = new ArrayList<>();
        try (ResultSet rows = update.executeQuery()) {
            while (rows.next()) {
                runs.add(new ClaimedRun(
                        UUID.fromString(rows.getString("run_id")),
                        rows.getString("workflow_id"),
                        rows.getInt("workflow_version"),
                        RunStatus.fromWire(rows.getString("status")),
                        inputs(rows),
                        rows.getBytes("definition"),
                        Instant.ofEpochMilli(rows.getLong("created_at")),
                        rows.getLong("last_seq"),
                        rows.getInt("cancel_requested") != 0,
                        parent(rows),
                        retry(rows),
                        trigger(rows),
                        false));
            }
        }
        return runs;
    }

    /**
     * A run's stored inputs, or JSON null when they do not parse: a run stored by an older
     * version with a number it could write but not read back ({@code 1e400}, before such numbers
     * were refused). So that one such run fails alone (the executor ends it when it claims it)
     * rather than failing every claim and every list that reads it.
     */
    static JsonNode inputs(ResultSet row) throws SQLException {
        try {
            return Json.parseTrusted(row.getBytes("inputs"));
        } catch (UncheckedIOException e) {
            String runId = row.getString("run_id");
            // Said once per run (a list that shows it is read every few seconds), not at every read.
            if (UNREADABLE_INPUTS_TOLD.size() < MAX_TOLD && UNREADABLE_INPUTS_TOLD.add(runId)) {
                log.warn("run {}: its stored inputs do not parse ({}): read as null", runId,
                        e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
            }
            return NullNode.getInstance();
        }
    }

    /** The runs whose unreadable inputs were told of in the log; a bound on that memory, past which nothing more is told. */
    private static final Set<String> UNREADABLE_INPUTS_TOLD = ConcurrentHashMap.newKeySet();
    private static final int MAX_TOLD = 1_000;

    private static JsonNode outputs(byte[] json) {
        return json == null ? null : Json.parseTrusted(json);
    }

    static RunTrigger trigger(ResultSet rows) throws SQLException {
        long dueMillis = rows.getLong("trigger_due_at");
        Instant dueAt = rows.wasNull() ? null : Instant.ofEpochMilli(dueMillis);
        return new RunTrigger(rows.getString("trigger_type"), rows.getString("trigger_id"), dueAt);
    }

    private static RunRetry retry(ResultSet rows) throws SQLException {
        String retryOf = rows.getString("retry_of");
        return retryOf == null ? null : new RunRetry(UUID.fromString(retryOf), rows.getString("retry_from"));
    }

    private static RunParent parent(ResultSet rows) throws SQLException {
        String parentRunId = rows.getString("parent_run_id");
        return parentRunId == null ? null
                : new RunParent(UUID.fromString(parentRunId), rows.getString("parent_step_id"), rows.getInt("depth"));
    }

    @Override
    public Optional<CancelTarget> requestCancel(UUID runId) {
        return db.write("request the cancel of run " + runId, connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET cancel_requested = 1 "
                    + "WHERE run_id = ? AND status IN ('queued', 'running', 'waiting') RETURNING status, owner")) {
                update.setString(1, runId.toString());
                try (ResultSet row = update.executeQuery()) {
                    return row.next()
                            ? Optional.of(new CancelTarget(RunStatus.fromWire(row.getString(1)), row.getString(2)))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<UUID> cancelRequested(String nodeId) {
        return db.read("find cancels for node " + nodeId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT run_id FROM runs "
                    + "WHERE owner = ? AND status IN ('queued', 'running', 'waiting') AND cancel_requested = 1")) {
                select.setString(1, nodeId);
                List<UUID> runs = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        runs.add(UUID.fromString(rows.getString(1)));
                    }
                }
                return runs;
            }
        });
    }

    /**
     * The three statements run in one transaction, each reading the nodes table as it stands
     * after the one before. A run of the adopting node itself is never an orphan: a node whose
     * own lease lapsed learns it from {@link #renewLease} and stops.
     */
    @Override
    public List<OrphanedRun> adoptOrphans(String nodeId, Instant deadline) {
        String orphaned = "(owner IS NULL OR (owner <> ? AND owner NOT IN (SELECT node_id FROM nodes)))";
        return db.write("adopt the runs of lapsed nodes", connection -> {
            try (PreparedStatement forget = connection.prepareStatement(
                    "DELETE FROM nodes WHERE lease_until < ? AND node_id <> ?")) {
                forget.setLong(1, deadline.toEpochMilli());
                forget.setString(2, nodeId);
                forget.executeUpdate();
            }
            try (PreparedStatement release = connection.prepareStatement(
                    "UPDATE runs SET owner = NULL WHERE status = 'queued' AND owner IS NOT NULL AND " + orphaned)) {
                release.setString(1, nodeId);
                release.executeUpdate();
            }
            try (PreparedStatement handBack = connection.prepareStatement("UPDATE runs SET owner = NULL"
                    + " WHERE status = 'running' AND resumable = 1 AND owner IS NOT NULL AND " + orphaned)) {
                handBack.setString(1, nodeId);
                handBack.executeUpdate();
            }
            // A waiting run, whatever its workflow, is left for the claim that follows a decision or its deadline.
            try (PreparedStatement park = connection.prepareStatement("UPDATE runs SET owner = NULL, wake_at = 0"
                    + " WHERE status = 'waiting' AND owner IS NOT NULL AND " + orphaned)) {
                park.setString(1, nodeId);
                park.executeUpdate();
            }
            try (PreparedStatement adopt = connection.prepareStatement("UPDATE runs SET owner = ? WHERE status = 'running'"
                    + " AND resumable = 0 AND " + orphaned + " RETURNING run_id, workflow_id, started_at, last_seq")) {
                adopt.setString(1, nodeId);
                adopt.setString(2, nodeId);
                List<OrphanedRun> runs = new ArrayList<>();
                try (ResultSet rows = adopt.executeQuery()) {
                    while (rows.next()) {
                        runs.add(new OrphanedRun(UUID.fromString(rows.getString("run_id")), rows.getString("workflow_id"),
                                instant(rows, "started_at"), rows.getLong("last_seq")));
                    }
                }
                return runs;
            }
        });
    }

    @Override
    public int handBack(String nodeId) {
        return db.write("hand back the resumable runs of node " + nodeId, connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE runs SET owner = NULL, wake_at = CASE WHEN status = 'waiting' THEN 0 ELSE wake_at END"
                            + " WHERE owner = ? AND ((status = 'running' AND resumable = 1) OR status = 'waiting')")) {
                update.setString(1, nodeId);
                return update.executeUpdate();
            }
        });
    }

    @Override
    public List<UUID> retries(UUID runId) {
        return db.read("find the retries of run " + runId, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT run_id FROM runs WHERE retry_of = ? ORDER BY created_at, run_id")) {
                select.setString(1, runId.toString());
                List<UUID> retries = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        retries.add(UUID.fromString(rows.getString(1)));
                    }
                }
                return retries;
            }
        });
    }

    @Override
    public Optional<UUID> childSince(UUID parentRunId, String parentStepId, Instant since) {
        return db.read("find the child of an attempt of run " + parentRunId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT run_id FROM runs"
                    + " WHERE parent_run_id = ? AND parent_step_id = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1")) {
                select.setString(1, parentRunId.toString());
                select.setString(2, parentStepId);
                select.setLong(3, since.toEpochMilli());
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? Optional.of(UUID.fromString(row.getString(1))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Optional<UUID> unfinishedChild(UUID parentRunId, String parentStepId) {
        return db.read("find an unfinished child of run " + parentRunId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT run_id FROM runs"
                    + " WHERE parent_run_id = ? AND parent_step_id = ? AND status IN ('queued', 'running', 'waiting')"
                    + " ORDER BY created_at DESC LIMIT 1")) {
                select.setString(1, parentRunId.toString());
                select.setString(2, parentStepId);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? Optional.of(UUID.fromString(row.getString(1))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<String> concurrencyKeysUp(UUID runId) {
        return db.read("read the concurrency keys above run " + runId, connection -> {
            // One row per level, each by the primary key: runs nest at most ChildRuns.MAX_DEPTH deep.
            try (PreparedStatement select = connection.prepareStatement("WITH RECURSIVE chain (run_id, parent_run_id,"
                    + " concurrency_key, level) AS (SELECT run_id, parent_run_id, concurrency_key, 0 FROM runs WHERE run_id = ?"
                    + " UNION ALL SELECT runs.run_id, runs.parent_run_id, runs.concurrency_key, chain.level + 1"
                    + " FROM runs JOIN chain ON runs.run_id = chain.parent_run_id)"
                    + " SELECT concurrency_key FROM chain ORDER BY level")) {
                select.setString(1, runId.toString());
                List<String> keys = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        keys.add(rows.getString(1));
                    }
                }
                return keys;
            }
        });
    }

    @Override
    public boolean park(UUID runId, String nodeId, Instant wakeAt) {
        boolean parked = db.write("park run " + runId, connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE runs SET owner = NULL, wake_at = ? WHERE run_id = ? AND owner = ? AND status = 'waiting'")) {
                BatchWriter.setLong(update, 1, wakeAt == null ? null : wakeAt.toEpochMilli());
                update.setString(2, runId.toString());
                update.setString(3, nodeId);
                return update.executeUpdate() > 0;
            }
        });
        // Only now, the park committed: a decision committed before it is seen here, one after
        // it sees no holder and wakes the run itself (decide).
        return parked && db.write("wake run " + runId + " if decided", connection -> wakeIfUnheld(connection, runId,
                " AND (cancel_requested = 1 OR EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = runs.run_id"
                        + " AND s.status = 'waiting' AND s.decision IS NOT NULL))"));
    }

    /** Makes a waiting run that no node holds claimable now; true if it was such a run. */
    private static boolean wakeIfUnheld(Connection connection, UUID runId, String condition) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET wake_at = 0"
                + " WHERE run_id = ? AND owner IS NULL AND status = 'waiting'" + condition)) {
            update.setString(1, runId.toString());
            return update.executeUpdate() > 0;
        }
    }

    @Override
    public Decided decide(UUID runId, String stepId, JsonNode decision) {
        String run = runId.toString();
        boolean taken = db.write("decide step " + stepId + " of run " + runId, connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE run_steps SET decision = ?"
                    + " WHERE run_id = ? AND step_id = ? AND status = 'waiting' AND decision IS NULL")) {
                update.setBytes(1, Json.bytes(decision));
                update.setString(2, run);
                update.setString(3, stepId);
                return update.executeUpdate() > 0;
            }
        });
        if (!taken) {
            return db.read("find step " + stepId + " of run " + runId, connection -> {
                try (PreparedStatement select = connection.prepareStatement(
                        "SELECT EXISTS (SELECT 1 FROM run_steps WHERE run_id = ? AND step_id = ?) FROM runs WHERE run_id = ?")) {
                    select.setString(1, run);
                    select.setString(2, stepId);
                    select.setString(3, run);
                    try (ResultSet row = select.executeQuery()) {
                        return !row.next() ? Decided.NO_RUN : row.getBoolean(1) ? Decided.NOT_WAITING : Decided.NO_STEP;
                    }
                }
            });
        }
        // After the decision's commit: see park for why the order matters.
        return db.write("wake run " + runId + " for its decision", connection -> {
            if (wakeIfUnheld(connection, runId, "")) {
                return Decided.taken(null);
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT owner FROM runs WHERE run_id = ?")) {
                select.setString(1, run);
                try (ResultSet row = select.executeQuery()) {
                    return Decided.taken(row.next() ? row.getString(1) : null);
                }
            }
        });
    }

    @Override
    public Map<String, JsonNode> decisions(UUID runId) {
        return db.read("read the decisions of run " + runId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT step_id, decision FROM run_steps"
                    + " WHERE run_id = ? AND status = 'waiting' AND decision IS NOT NULL")) {
                select.setString(1, runId.toString());
                Map<String, JsonNode> decisions = new HashMap<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        decisions.put(rows.getString(1), Json.parseTrusted(rows.getBytes(2)));
                    }
                }
                return decisions;
            }
        });
    }

    @Override
    public Optional<Instant> nextWake() {
        return db.read("find the next waiting run to wake", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT MIN(wake_at) FROM runs WHERE status = 'waiting' AND owner IS NULL")) {
                try (ResultSet row = select.executeQuery()) {
                    row.next();
                    long at = row.getLong(1);
                    return row.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(at));
                }
            }
        });
    }

    @Override
    public List<StoredSecret> secrets() {
        return db.read("read the secrets", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT name, key_id, ciphertext, updated_at FROM secrets ORDER BY name")) {
                List<StoredSecret> secrets = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        secrets.add(secret(rows));
                    }
                }
                return secrets;
            }
        });
    }

    @Override
    public Optional<StoredSecret> findSecret(String name) {
        return db.read("read secret " + name, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT name, key_id, ciphertext, updated_at FROM secrets WHERE name = ?")) {
                select.setString(1, name);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? Optional.of(secret(row)) : Optional.empty();
                }
            }
        });
    }

    private static StoredSecret secret(ResultSet row) throws SQLException {
        return new StoredSecret(row.getString(1), row.getString(2), row.getBytes(3), Instant.ofEpochMilli(row.getLong(4)));
    }

    @Override
    public boolean putSecret(StoredSecret secret) {
        return db.write("store secret " + secret.name(), connection -> {
            boolean existed;
            try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM secrets WHERE name = ?")) {
                select.setString(1, secret.name());
                try (ResultSet row = select.executeQuery()) {
                    existed = row.next();
                }
            }
            try (PreparedStatement upsert = connection.prepareStatement("""
                    INSERT INTO secrets (name, key_id, ciphertext, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE
                       SET key_id = excluded.key_id, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at""")) {
                upsert.setString(1, secret.name());
                upsert.setString(2, secret.keyId());
                upsert.setBytes(3, secret.ciphertext());
                upsert.setLong(4, secret.updatedAt().toEpochMilli());
                upsert.executeUpdate();
            }
            secretsChanged(connection);
            return !existed;
        });
    }

    @Override
    public boolean replaceSecret(StoredSecret expected, String keyId, byte[] ciphertext) {
        return db.write("re-encrypt secret " + expected.name(), connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE secrets SET key_id = ?, ciphertext = ?"
                    + " WHERE name = ? AND key_id = ? AND ciphertext = ?")) {
                update.setString(1, keyId);
                update.setBytes(2, ciphertext);
                update.setString(3, expected.name());
                update.setString(4, expected.keyId());
                update.setBytes(5, expected.ciphertext());
                return update.executeUpdate() > 0;
            }
        });
    }

    @Override
    public boolean deleteSecret(String name) {
        return db.write("delete secret " + name, connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM secrets WHERE name = ?")) {
                delete.setString(1, name);
                if (delete.executeUpdate() == 0) {
                    return false;
                }
            }
            secretsChanged(connection);
            return true;
        });
    }

    private static void secretsChanged(Connection connection) throws SQLException {
        try (PreparedStatement bump = connection.prepareStatement("UPDATE secrets_version SET version = version + 1 WHERE id = 1")) {
            bump.executeUpdate();
        }
    }

    @Override
    public long secretsVersion() {
        return db.read("read the secrets' version", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT version FROM secrets_version WHERE id = 1");
                 ResultSet row = select.executeQuery()) {
                return row.next() ? row.getLong(1) : 0L;
            }
        });
    }

    @Override
    public Map<String, byte[]> secretKeys() {
        return db.read("read the secret keys", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT key_id, wrapped FROM secret_keys ORDER BY created_at, key_id")) {
                Map<String, byte[]> keys = new LinkedHashMap<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        keys.put(rows.getString(1), rows.getBytes(2));
                    }
                }
                return keys;
            }
        });
    }

    @Override
    public boolean addSecretKey(String keyId, byte[] wrapped, Instant createdAt) {
        return db.write("add secret key " + keyId, connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO secret_keys (key_id, wrapped, created_at)"
                    + " VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING")) {
                insert.setString(1, keyId);
                insert.setBytes(2, wrapped);
                insert.setLong(3, createdAt.toEpochMilli());
                return insert.executeUpdate() > 0;
            }
        });
    }

    @Override
    public void rewrapSecretKey(String keyId, byte[] wrapped) {
        db.write("seal secret key " + keyId + " again", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE secret_keys SET wrapped = ? WHERE key_id = ?")) {
                update.setBytes(1, wrapped);
                update.setString(2, keyId);
                return update.executeUpdate();
            }
        });
    }

    // --- retention ---

    @Override
    public List<UUID> runsEndedBefore(Instant endedBefore, int limit) {
        return db.read("find the runs that ended before " + endedBefore, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT run_id FROM runs WHERE finished_at < ? AND status IN ("
                    + FINISHED + ") ORDER BY finished_at LIMIT ?")) {
                select.setLong(1, endedBefore.toEpochMilli());
                select.setInt(2, limit);
                return runIds(select);
            }
        });
    }

    @Override
    public List<UUID> runsPastRetention(String workflowId, Instant endedBefore, int keepNewest, int limit) {
        return db.read("find the runs of workflow " + workflowId + " past its retention", connection -> {
            List<UUID> found = new ArrayList<>();
            if (keepNewest > 0) {
                // Newest first through runs_by_workflow, skipping the runs kept; those that
                // have not ended count as kept, and are skipped here.
                try (PreparedStatement select = connection.prepareStatement("SELECT run_id, status FROM runs WHERE workflow_id = ?"
                        + " ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?")) {
                    select.setString(1, workflowId);
                    select.setInt(2, limit);
                    select.setInt(3, keepNewest);
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            if (RunStatus.fromWire(rows.getString(2)).isTerminal()) {
                                found.add(UUID.fromString(rows.getString(1)));
                            }
                        }
                    }
                }
            }
            if (endedBefore != null && found.size() < limit) {
                try (PreparedStatement select = connection.prepareStatement("SELECT run_id FROM runs WHERE workflow_id = ?"
                        + " AND finished_at < ? AND status IN (" + FINISHED + ") ORDER BY finished_at LIMIT ?")) {
                    select.setString(1, workflowId);
                    select.setLong(2, endedBefore.toEpochMilli());
                    select.setInt(3, limit);
                    for (UUID runId : runIds(select)) {
                        if (found.size() < limit && !found.contains(runId)) {
                            found.add(runId);
                        }
                    }
                }
            }
            return found;
        });
    }

    private static List<UUID> runIds(PreparedStatement select) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                ids.add(UUID.fromString(rows.getString(1)));
            }
        }
        return ids;
    }

    @Override
    public StoreUsage usage() {
        return db.read("measure the store's size", connection -> {
            try (Statement statement = connection.createStatement()) {
                if (db.dialect() == Dialect.POSTGRESQL) {
                    long size = single(statement, "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'");
                    return new StoreUsage(size, 0);
                }
                long pageSize = single(statement, "PRAGMA page_size");
                long free = single(statement, "PRAGMA freelist_count") * pageSize;
                String file;
                try (ResultSet row = statement.executeQuery("SELECT file FROM pragma_database_list WHERE name = 'main'")) {
                    row.next();
                    file = row.getString(1);
                }
                return new StoreUsage(fileSize(Path.of(file)) + fileSize(Path.of(file + "-wal")), free);
            }
        });
    }

    /** The first column of the first row of {@code sql} as a number. */
    static long single(Statement statement, String sql) throws SQLException {
        try (ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        }
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + file, e);
        }
    }

    @Override
    public long reclaim(int maxPages) {
        if (db.dialect() != Dialect.SQLITE) {
            return 0;
        }
        return db.write("give free pages of the SQLite file back", connection -> {
            try (Statement statement = connection.createStatement()) {
                long before = single(statement, "PRAGMA freelist_count");
                if (before == 0) {
                    return 0L;
                }
                statement.executeUpdate("PRAGMA incremental_vacuum(" + maxPages + ")");
                return (before - single(statement, "PRAGMA freelist_count")) * single(statement, "PRAGMA page_size");
            }
        });
    }

    @Override
    public void ping() {
        db.ping();
    }

    @Override
    public void close() {
        db.close();
    }

    /** The runs, each with its {@link StepMark}: read from the steps' times and statuses only. */
    private static List<RunSummary> withLastSteps(Connection connection, List<RunSummary> runs) throws SQLException {
        if (runs.isEmpty()) {
            return runs;
        }
        Map<String, List<StepState>> steps = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT run_id, step_id, status, started_at, duration_ms, finished_at FROM run_steps"
                        + " WHERE (started_at IS NOT NULL OR finished_at IS NOT NULL) AND run_id IN ("
                        + String.join(", ", Collections.nCopies(runs.size(), "?")) + ") ORDER BY run_id, position")) {
            bind(select, runs.stream().<Object>map(run -> run.runId().toString()).toList());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    steps.computeIfAbsent(rows.getString("run_id"), id -> new ArrayList<>()).add(new StepState(
                            rows.getString("step_id"), null, StepStatus.fromWire(rows.getString("status")), 0,
                            instant(rows, "started_at"), nullableLong(rows, "duration_ms"), null, null, instant(rows, "finished_at")));
                }
            }
        }
        return runs.stream().map(run -> run.withLastStep(StepMark.latest(steps.getOrDefault(run.runId().toString(), List.of()))))
                .toList();
    }

    /** Steps of the runs that {@code where} selects, by run id, each list in position order. */
    private static Map<String, List<StepState>> steps(Connection connection, String where, List<Object> parameters)
            throws SQLException {
        Map<String, List<StepState>> steps = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + STEP_COLUMNS + " FROM run_steps WHERE " + where + " ORDER BY run_id, position")) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    StepState step = new StepState(
                            rows.getString("step_id"),
                            rows.getString("step_name"),
                            StepStatus.fromWire(rows.getString("status")),
                            rows.getInt("attempt"),
                            instant(rows, "started_at"),
                            nullableLong(rows, "duration_ms"),
                            rows.getString("error"),
                            outputs(rows.getBytes("outputs")),
                            instant(rows, "finished_at"));
                    steps.computeIfAbsent(rows.getString("run_id"), id -> new ArrayList<>()).add(step);
                }
            }
        }
        return steps;
    }

    /** Current variables of the runs that {@code where} selects, by run id, as name -> value. */
    private static Map<String, ObjectNode> variables(Connection connection, String where, List<Object> parameters)
            throws SQLException {
        Map<String, ObjectNode> variables = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT run_id, name, value FROM run_variables WHERE " + where + " ORDER BY run_id, name")) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    variables.computeIfAbsent(rows.getString("run_id"), id -> Json.object())
                            .set(rows.getString("name"), Json.parseTrusted(rows.getBytes("value")));
                }
            }
        }
        return variables;
    }

    private static void bind(PreparedStatement statement, List<Object> parameters) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            switch (parameters.get(i)) {
                case Long value -> statement.setLong(i + 1, value);
                case String value -> statement.setString(i + 1, value);
                default -> throw new IllegalArgumentException("cannot bind " + parameters.get(i));
            }
        }
    }

    private static StoredWorkflow workflow(ResultSet row) throws SQLException {
        return new StoredWorkflow(
                row.getString("id"),
                row.getString("name"),
                row.getString("description"),
                row.getInt("version"),
                Instant.ofEpochMilli(row.getLong("updated_at")),
                row.getInt("step_count"),
                row.getBytes("definition"));
    }

    /** A row of {@code runs} with the detail columns, waiting for its steps and variables. */
    private record RunRow(RunSummary summary, byte[] definition, RunRetry retryOf) {
        RunDetail detail(Map<String, List<StepState>> steps, Map<String, ObjectNode> variables) {
            String id = summary.runId().toString();
            return new RunDetail(summary.runId(), summary.workflowId(), summary.workflowVersion(), summary.status(),
                    summary.inputs(), summary.createdAt(), summary.startedAt(), summary.finishedAt(),
                    summary.durationMs(), summary.error(), summary.lastSeq(),
                    List.copyOf(steps.getOrDefault(id, List.of())),
                    variables.getOrDefault(id, Json.object()), definition, retryOf, summary.trigger(), summary.workflowName());
        }
    }

    /** The column {@code workflow_name} that {@link #summary} reads, to follow the summary's columns. */
    private String workflowName() {
        return ", " + db.dialect().workflowName() + " AS workflow_name";
    }

    private static RunRow runRow(ResultSet row) throws SQLException {
        return new RunRow(summary(row), row.getBytes("definition"), retry(row));
    }

    private static RunSummary summary(ResultSet row) throws SQLException {
        return new RunSummary(
                UUID.fromString(row.getString("run_id")),
                row.getString("workflow_id"),
                row.getInt("workflow_version"),
                RunStatus.fromWire(row.getString("status")),
                Instant.ofEpochMilli(row.getLong("created_at")),
                instant(row, "started_at"),
                instant(row, "finished_at"),
                nullableLong(row, "duration_ms"),
                row.getString("error"),
                row.getLong("last_seq"),
                trigger(row),
                inputs(row),
                row.getString("workflow_name"),
                null);
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        long millis = row.getLong(column);
        return row.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    private static Long nullableLong(ResultSet row, String column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }
}
