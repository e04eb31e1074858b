package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunFold;
import dev.stepstream.events.RunLostException;
import dev.stepstream.events.RunStatus;
import dev.stepstream.json.Json;
import dev.stepstream.store.BatchEffects.RunEffect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The statements of one commit, run inside the transaction {@link JdbcStore#commit} opens:
 * the runs' positions checked and moved, the events in one JDBC batch of multi-row inserts,
 * then the folded projections, one statement per touched step and variable. Stateless.
 */
final class BatchWriter {

    /**
     * Moves the run forward only from where its stored log ends ({@code last_seq = firstSeq - 1}),
     * which keeps each run's log gapless and without duplicates (DESIGN.md invariant 2); only
     * for the node that holds the run ({@code owner}: the fencing token), and only from a status
     * the batch may follow ({@link RunEffect#from}): a run that has ended takes nothing more, so
     * its one run_complete is its last event, whatever node wrote late.
     */
    private static final String ADVANCE_RUN = """
            UPDATE runs
               SET last_seq = ?,
                   status = COALESCE(?, status),
                   started_at = COALESCE(?, started_at),
                   finished_at = COALESCE(?, finished_at),
                   duration_ms = COALESCE(?, duration_ms),
                   error = CASE WHEN ? THEN ? ELSE error END
             WHERE run_id = ? AND last_seq = ? AND owner = ? AND status IN (?, ?, ?)""";

    /**
     * {@link #ADVANCE_RUN} for a run whose batch moves nothing but its position (a script's
     * lines, a variable's change): the same conditions, no other column named. SQLite rewrites
     * every index on a column an UPDATE sets, changed or not, so naming status and the times
     * made a one-event commit write five pages of {@code runs} and its indexes (runs_by_status,
     * runs_by_owner, runs_by_finish, …) where this writes one.
     */
    private static final String ADVANCE_RUN_POSITION = """
            UPDATE runs
               SET last_seq = ?
             WHERE run_id = ? AND last_seq = ? AND owner = ? AND status IN (?, ?, ?)""";

    /**
     * Events go in as multi-row INSERTs of this many rows: each statement execution has a fixed
     * cost (and on SQLite several JNI calls), which a row of a step_log flood should not pay
     * alone. 100 rows are 500 parameters, far below either database's limit.
     */
    static final int EVENTS_PER_INSERT = 100;

    private static final String INSERT_EVENTS = insertEvents(EVENTS_PER_INSERT);

    /**
     * The same insert for rows that share their run and type (a script's flood of step_logs),
     * which binds those two once per statement, as ?1 and ?2, and three parameters a row:
     * on SQLite each bound value is a JNI call, and a bound string also a UTF-8 copy and a
     * malloc, so binding 2 values a row fewer took about a fifth off the committer's CPU.
     * SQLite only ({@link Dialect#numbersParameters}).
     */
    private static final String INSERT_UNIFORM_EVENTS = insertUniformEvents(EVENTS_PER_INSERT);

    /**
     * Steps are inserted as pending by createRun; the insert branch only catches a step the run
     * did not declare, which is appended after the others rather than lost from the projection.
     * A null started_at keeps the stored one (see {@link RunFold.Step}).
     */
    private static final String UPSERT_STEP = """
            INSERT INTO run_steps (run_id, position, step_id, step_name, status, attempt, started_at, duration_ms, error, outputs, finished_at)
            VALUES (?, (SELECT COALESCE(MAX(position) + 1, 0) FROM run_steps WHERE run_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, step_id) DO UPDATE
               SET status = excluded.status,
                   attempt = excluded.attempt,
                   started_at = COALESCE(excluded.started_at, run_steps.started_at),
                   duration_ms = excluded.duration_ms,
                   error = excluded.error,
                   outputs = excluded.outputs,
                   finished_at = excluded.finished_at""";

    /** A step that only waits now (its step_start was in an earlier batch): the rest of it stays as stored. */
    private static final String UPDATE_STEP_STATUS = "UPDATE run_steps SET status = ? WHERE run_id = ? AND step_id = ?";

    private static final String UPSERT_VARIABLE = """
            INSERT INTO run_variables (run_id, name, value) VALUES (?, ?, ?)
            ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value""";

    private static final String DELETE_VARIABLE = "DELETE FROM run_variables WHERE run_id = ? AND name = ?";

    private BatchWriter() {}

    /**
     * @param writer the node whose events these are, which must hold their runs
     * @throws RunLostException when {@code writer} no longer holds a run of the batch, or the run has ended
     * @throws IllegalStateException when an event's run does not exist or its seqs do not
     *         continue the stored log; the caller's transaction then rolls everything back
     */
    static void write(Connection connection, Dialect dialect, String writer, List<RunEvent> batch, BatchEffects effects)
            throws SQLException {
        List<RunEffect> runs = effects.runs();
        advanceRuns(connection, writer, runs);
        insertEvents(connection, dialect, batch, effects);
        writeFullValues(connection, batch, effects);
        writeSteps(connection, runs);
        closeRunningSteps(connection, runs);
        settleWaiting(connection, runs);
        writeVariables(connection, runs);
    }

    /**
     * Of a run with approval steps whose steps moved, its steps say whether it runs or waits
     * ({@link RunFold#runningOrWaiting}); a run without approval steps never waits, and costs
     * one primary-key lookup here.
     */
    private static final String STEPS_RUNNING_OR_WAITING = """
            SELECT r.status,
                   EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = r.run_id AND s.status = 'running'),
                   EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = r.run_id AND s.status = 'waiting')
              FROM runs r WHERE r.run_id = ? AND r.approvals = 1""";

    private static void settleWaiting(Connection connection, List<RunEffect> runs) throws SQLException {
        PreparedStatement select = null;
        try {
            for (RunEffect run : runs) {
                if (!run.state.stepsMoved || run.state.completed) {
                    continue;
                }
                if (select == null) {
                    select = connection.prepareStatement(STEPS_RUNNING_OR_WAITING);
                }
                select.setString(1, run.runId);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        continue;
                    }
                    RunStatus stored = RunStatus.fromWire(row.getString(1));
                    RunStatus settled = RunFold.runningOrWaiting(row.getBoolean(2), row.getBoolean(3));
                    if (stored != settled && !stored.isTerminal() && stored != RunStatus.QUEUED) {
                        try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET status = ? WHERE run_id = ?")) {
                            update.setString(1, settled.wire());
                            update.setString(2, run.runId);
                            update.executeUpdate();
                        }
                    }
                }
            }
        } finally {
            if (select != null) {
                select.close();
            }
        }
    }

    /**
     * A finished run has no running or waiting step: one cut off by cancel, shutdown or a crash
     * (whose run_complete recovery writes) is shown as cancelled.
     */
    private static final String CLOSE_RUNNING_STEPS =
            "UPDATE run_steps SET status = 'cancelled' WHERE run_id = ? AND status IN ('running', 'waiting')";

    private static void closeRunningSteps(Connection connection, List<RunEffect> runs) throws SQLException {
        if (runs.stream().noneMatch(run -> run.state.completed)) {
            return; // most batches: no statement prepared (on SQLite a prepare is a parse and a plan)
        }
        try (PreparedStatement update = connection.prepareStatement(CLOSE_RUNNING_STEPS)) {
            for (RunEffect run : runs) {
                if (run.state.completed) {
                    update.setString(1, run.runId);
                    update.addBatch();
                }
            }
            update.executeBatch();
        }
    }

    private static void advanceRuns(Connection connection, String writer, List<RunEffect> runs) throws SQLException {
        List<RunEffect> positions = new ArrayList<>(runs.size());
        List<RunEffect> changes = new ArrayList<>(runs.size());
        for (RunEffect run : runs) {
            (movesOnlyPosition(run) ? positions : changes).add(run);
        }
        advance(connection, writer, positions, true);
        advance(connection, writer, changes, false);
    }

    /** Whether the batch leaves the run's status, times and error as stored. */
    private static boolean movesOnlyPosition(RunEffect run) {
        RunFold.Run state = run.state;
        return statusToStore(run) == null && state.startedAt == null && state.finishedAt == null
                && state.durationMs == null && !state.completed;
    }

    /** The status the batch gives the run, or null to keep the stored one (COALESCE). */
    private static String statusToStore(RunEffect run) {
        RunStatus status = run.state.status;
        return status == null || run.statusAssumed && status == RunStatus.RUNNING ? null : status.wire();
    }

    /** Moves each of {@code runs} in one JDBC batch, by {@link #ADVANCE_RUN_POSITION} or {@link #ADVANCE_RUN}. */
    private static void advance(Connection connection, String writer, List<RunEffect> runs, boolean positionOnly)
            throws SQLException {
        if (runs.isEmpty()) {
            return;
        }
        int[] updated;
        try (PreparedStatement update = connection.prepareStatement(positionOnly ? ADVANCE_RUN_POSITION : ADVANCE_RUN)) {
            for (RunEffect run : runs) {
                RunFold.Run state = run.state;
                int parameter = 0;
                update.setLong(++parameter, state.lastSeq);
                if (!positionOnly) {
                    update.setString(++parameter, statusToStore(run));
                    setLong(update, ++parameter, state.startedAt);
                    setLong(update, ++parameter, state.finishedAt);
                    setLong(update, ++parameter, state.durationMs);
                    update.setBoolean(++parameter, state.completed);
                    update.setString(++parameter, state.error);
                }
                update.setString(++parameter, run.runId);
                update.setLong(++parameter, run.firstSeq - 1);
                update.setString(++parameter, writer);
                for (int i = 0; i < 3; i++) { // the one to three statuses it may follow
                    update.setString(++parameter, run.from.get(Math.min(i, run.from.size() - 1)).wire());
                }
                update.addBatch();
            }
            updated = update.executeBatch();
        }
        for (int i = 0; i < runs.size(); i++) {
            if (updated[i] == 0) {
                throw refused(connection, writer, runs.get(i));
            }
        }
    }

    /** Why the run did not move: read after the fact, inside the same (doomed) transaction. */
    private static IllegalStateException refused(Connection connection, String writer, RunEffect run) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT last_seq, status, owner FROM runs WHERE run_id = ?")) {
            select.setString(1, run.runId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return new IllegalStateException("events for run " + run.runId + ", which does not exist");
                }
                long lastSeq = row.getLong(1);
                RunStatus status = RunStatus.fromWire(row.getString(2));
                String owner = row.getString(3);
                if (status.isTerminal()) {
                    return new RunLostException(run.id, "ended " + status.wire() + " at seq " + lastSeq
                            + "; it takes no events after its run_complete");
                }
                if (!writer.equals(owner)) {
                    return new RunLostException(run.id, "is held by " + (owner == null ? "no node" : "node " + owner)
                            + ", not by node " + writer);
                }
                if (!run.from.contains(status)) {
                    return new IllegalStateException("events of run " + run.runId + " starting at seq " + run.firstSeq
                            + " cannot follow its status " + status.wire());
                }
                if (lastSeq == run.firstSeq - 1) {
                    // Everything holds now, so the row changed between the update and this read:
                    // another node released and this node claimed the run again in between (on
                    // PostgreSQL each statement reads the latest commit). The batch's writer was a
                    // stale driver of the run; the run is another's to write.
                    return new RunLostException(run.id, "changed hands while this batch was written", true);
                }
                return new IllegalStateException("events of run " + run.runId + " start at seq " + run.firstSeq
                        + " but its stored log ends at seq " + lastSeq);
            }
        }
    }

    /** How one statement's rows are bound. */
    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement insert, List<RunEvent> rows, BatchEffects effects) throws SQLException;
    }

    private static void insertEvents(Connection connection, Dialect dialect, List<RunEvent> batch, BatchEffects effects)
            throws SQLException {
        int whole = batch.size() / EVENTS_PER_INSERT * EVENTS_PER_INSERT;
        List<List<RunEvent>> uniform = new ArrayList<>();
        List<List<RunEvent>> mixed = new ArrayList<>();
        for (int from = 0; from < whole; from += EVENTS_PER_INSERT) {
            List<RunEvent> rows = batch.subList(from, from + EVENTS_PER_INSERT);
            (dialect.numbersParameters() && sameRunAndType(rows) ? uniform : mixed).add(rows);
        }
        insertChunks(connection, INSERT_UNIFORM_EVENTS, uniform, effects, BatchWriter::bindUniformEvents);
        insertChunks(connection, INSERT_EVENTS, mixed, effects, BatchWriter::bindEvents);
        if (whole < batch.size()) {
            List<RunEvent> rest = batch.subList(whole, batch.size());
            try (PreparedStatement insert = connection.prepareStatement(insertEvents(rest.size()))) {
                bindEvents(insert, rest, effects);
                insert.executeUpdate();
            }
        }
    }

    /** Inserts chunks of {@link #EVENTS_PER_INSERT} rows: one statement, executed as one JDBC batch. */
    private static void insertChunks(Connection connection, String sql, List<List<RunEvent>> chunks, BatchEffects effects,
                                     Binder binder) throws SQLException {
        if (chunks.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(sql)) {
            for (List<RunEvent> rows : chunks) {
                binder.bind(insert, rows, effects);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private static boolean sameRunAndType(List<RunEvent> rows) {
        RunEvent first = rows.getFirst();
        for (RunEvent row : rows) {
            if (row.type() != first.type() || !row.runId().equals(first.runId())) {
                return false;
            }
        }
        return true;
    }

    private static void bindUniformEvents(PreparedStatement insert, List<RunEvent> rows, BatchEffects effects)
            throws SQLException {
        RunEvent first = rows.getFirst();
        insert.setString(1, effects.runId(first));
        insert.setString(2, first.type().wire());
        int parameter = 2;
        for (RunEvent event : rows) {
            insert.setLong(++parameter, event.seq());
            insert.setLong(++parameter, event.time().toEpochMilli());
            insert.setBytes(++parameter, event.json());
        }
    }

    private static void bindEvents(PreparedStatement insert, List<RunEvent> events, BatchEffects effects)
            throws SQLException {
        int parameter = 0;
        UUID runId = null;
        String runIdText = null;
        for (RunEvent event : events) {
            if (!event.runId().equals(runId)) {
                runId = event.runId();
                runIdText = effects.runId(event);
            }
            insert.setString(++parameter, runIdText);
            insert.setLong(++parameter, event.seq());
            insert.setString(++parameter, event.type().wire());
            insert.setLong(++parameter, event.time().toEpochMilli());
            insert.setBytes(++parameter, event.json());
        }
    }

    /** Rows of ({@code ?1}, seq, {@code ?2}, time, body): SQLite's numbered parameters. */
    private static String insertUniformEvents(int rows) {
        StringBuilder sql = new StringBuilder("INSERT INTO events (run_id, seq, type, time, body) VALUES ");
        for (int row = 0, parameter = 3; row < rows; row++, parameter += 3) {
            sql.append(row == 0 ? "" : ", ")
                    .append("(?1, ?").append(parameter).append(", ?2, ?").append(parameter + 1).append(", ?").append(parameter + 2).append(')');
        }
        return sql.toString();
    }

    private static String insertEvents(int rows) {
        StringBuilder sql = new StringBuilder("INSERT INTO events (run_id, seq, type, time, body) VALUES ");
        for (int row = 0; row < rows; row++) {
            sql.append(row == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)");
        }
        return sql.toString();
    }

    /**
     * The whole value beside each variable_change that previews one ({@link RunEvent#fullValue}),
     * set on its row just inserted: rare, so the multi-row inserts of a flood bind no sixth
     * column for it.
     */
    private static final String SET_FULL_VALUE = "UPDATE events SET full_value = ? WHERE run_id = ? AND seq = ?";

    private static void writeFullValues(Connection connection, List<RunEvent> batch, BatchEffects effects) throws SQLException {
        List<RunEvent> previews = batch.stream().filter(event -> event.fullValueJson() != null).toList();
        if (previews.isEmpty()) {
            return;
        }
        try (PreparedStatement update = connection.prepareStatement(SET_FULL_VALUE)) {
            for (RunEvent event : previews) {
                update.setBytes(1, event.fullValueJson());
                update.setString(2, effects.runId(event));
                update.setLong(3, event.seq());
                update.addBatch();
            }
            update.executeBatch();
        }
    }

    private static void writeSteps(Connection connection, List<RunEffect> runs) throws SQLException {
        if (runs.stream().allMatch(run -> run.state.steps.isEmpty())) {
            return;
        }
        try (PreparedStatement upsert = connection.prepareStatement(UPSERT_STEP);
             PreparedStatement status = connection.prepareStatement(UPDATE_STEP_STATUS)) {
            boolean upserts = false;
            boolean statuses = false;
            for (RunEffect run : runs) {
                for (RunFold.Step step : run.state.steps.values()) {
                    if (step.statusOnly) {
                        status.setString(1, step.status.wire());
                        status.setString(2, run.runId);
                        status.setString(3, step.stepId);
                        status.addBatch();
                        statuses = true;
                        continue;
                    }
                    upserts = true;
                    upsert.setString(1, run.runId);
                    upsert.setString(2, run.runId);
                    upsert.setString(3, step.stepId);
                    upsert.setString(4, step.stepName);
                    upsert.setString(5, step.status.wire());
                    upsert.setInt(6, step.attempt);
                    setLong(upsert, 7, step.startedAt);
                    setLong(upsert, 8, step.durationMs);
                    upsert.setString(9, step.error);
                    upsert.setBytes(10, step.outputs == null ? null : Json.bytes(step.outputs));
                    setLong(upsert, 11, step.finishedAt);
                    upsert.addBatch();
                }
            }
            if (upserts) {
                upsert.executeBatch();
            }
            if (statuses) {
                status.executeBatch();
            }
        }
    }

    private static void writeVariables(Connection connection, List<RunEffect> runs) throws SQLException {
        if (runs.stream().allMatch(run -> run.state.variables.isEmpty())) {
            return;
        }
        try (PreparedStatement upsert = connection.prepareStatement(UPSERT_VARIABLE);
             PreparedStatement delete = connection.prepareStatement(DELETE_VARIABLE)) {
            boolean upserts = false;
            boolean deletes = false;
            for (RunEffect run : runs) {
                for (Map.Entry<String, JsonNode> variable : run.state.variables.entrySet()) {
                    if (variable.getValue() == null) {
                        delete.setString(1, run.runId);
                        delete.setString(2, variable.getKey());
                        delete.addBatch();
                        deletes = true;
                    } else {
                        upsert.setString(1, run.runId);
                        upsert.setString(2, variable.getKey());
                        upsert.setBytes(3, Json.bytes(variable.getValue()));
                        upsert.addBatch();
                        upserts = true;
                    }
                }
            }
            if (upserts) {
                upsert.executeBatch();
            }
            if (deletes) {
                delete.executeBatch();
            }
        }
    }

    static void setLong(PreparedStatement statement, int index, Long value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.BIGINT);
        } else {
            statement.setLong(index, value);
        }
    }
}
