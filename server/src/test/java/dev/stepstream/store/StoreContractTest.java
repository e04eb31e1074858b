package dev.stepstream.store;

import static dev.stepstream.store.Fixtures.T0;
import static dev.stepstream.store.Fixtures.draft;
import static dev.stepstream.store.Fixtures.newRun;
import static dev.stepstream.store.Fixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.EventFilter;
import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunFold;
import dev.stepstream.events.RunLostException;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import dev.stepstream.json.Json;
import dev.stepstream.store.Fixtures.Log;
import dev.stepstream.store.RunDetail.StepState;
import dev.stepstream.testing.Commits;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link Store} contract, run against every implementation. A subclass opens a store on
 * an empty database; {@link #reopen} must reach the same database again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class StoreContractTest {

    protected Store store;

    /** A store over this test's database, which is empty before the test's first call. */
    protected abstract Store openStore();

    /** Whether several nodes may share this database, so that it logs deletions for them ({@link Store#deletedRuns}). */
    protected abstract boolean sharedByNodes();

    @BeforeEach
    void openTheStore() {
        store = openStore();
    }

    @AfterEach
    void closeTheStore() {
        store.close();
    }

    private void reopen() {
        store.close();
        store = openStore();
    }

    private RunDetail run(UUID runId) {
        return store.findRun(runId).orElseThrow();
    }

    private StepState step(UUID runId, String stepId) {
        return run(runId).steps().stream().filter(s -> s.stepId().equals(stepId)).findFirst().orElseThrow();
    }

    private UUID queuedRun(String... stepIds) {
        UUID runId = UUID.randomUUID();
        store.createRun(newRun(runId, "hello", T0, stepIds));
        return runId;
    }

    /** A queued run of a workflow with approval steps: its steps say whether it runs or waits. */
    private UUID queuedRunWithApprovals(String... stepIds) {
        UUID runId = UUID.randomUUID();
        NewRun plain = newRun(runId, "hello", T0, stepIds);
        store.createRun(new NewRun(runId, plain.workflowId(), plain.workflowVersion(), plain.definition(), plain.inputs(),
                plain.createdAt(), plain.steps(), null, false, true, null, RunTrigger.MANUAL, null));
        return runId;
    }

    // --- workflows -----------------------------------------------------------------------

    @Test
    void putOfANewWorkflowCreatesVersionOne() {
        PutOutcome outcome = store.putWorkflow(draft("hello", "hi"), T0);

        assertThat(outcome.created()).isTrue();
        assertThat(outcome.changed()).isFalse();
        assertThat(outcome.workflow().version()).isEqualTo(1);
        assertThat(outcome.workflow().updatedAt()).isEqualTo(T0);
        StoredWorkflow found = store.findWorkflow("hello").orElseThrow();
        assertThat(found).usingRecursiveComparison().isEqualTo(outcome.workflow());
        assertThat(found.name()).isEqualTo("Workflow hello");
        assertThat(found.description()).isEqualTo("says hi");
        assertThat(found.stepCount()).isEqualTo(1);
        assertThat(found.definition()).isEqualTo(draft("hello", "hi").definition());
    }

    @Test
    void putOfAnIdenticalDefinitionChangesNothing() {
        store.putWorkflow(draft("hello", "hi"), T0);

        PutOutcome again = store.putWorkflow(draft("hello", "hi"), T0.plusSeconds(60));

        assertThat(again.created()).isFalse();
        assertThat(again.changed()).isFalse();
        assertThat(again.workflow().version()).isEqualTo(1);
        assertThat(again.workflow().updatedAt()).isEqualTo(T0);
        assertThat(store.findWorkflow("hello").orElseThrow().updatedAt()).isEqualTo(T0);
    }

    @Test
    void putOfAChangedDefinitionRaisesTheVersionByOne() {
        store.putWorkflow(draft("hello", "hi"), T0);

        PutOutcome second = store.putWorkflow(draft("hello", "hey"), T0.plusSeconds(60));
        PutOutcome third = store.putWorkflow(draft("hello", "yo"), T0.plusSeconds(120));

        assertThat(second.changed()).isTrue();
        assertThat(second.created()).isFalse();
        assertThat(second.workflow().version()).isEqualTo(2);
        assertThat(third.workflow().version()).isEqualTo(3);
        StoredWorkflow found = store.findWorkflow("hello").orElseThrow();
        assertThat(found.version()).isEqualTo(3);
        assertThat(found.updatedAt()).isEqualTo(T0.plusSeconds(120));
        assertThat(found.description()).isEqualTo("says yo");
        assertThat(found.definition()).isEqualTo(draft("hello", "yo").definition());
    }

    @Test
    void workflowsAreListedByIdAndUnknownOnesAreNotFound() {
        store.putWorkflow(draft("zeta", "z"), T0);
        store.putWorkflow(draft("alpha", "a"), T0);
        store.putWorkflow(draft("mid", "m"), T0);

        assertThat(store.listWorkflows()).extracting(StoredWorkflow::id).containsExactly("alpha", "mid", "zeta");
        assertThat(store.findWorkflow("nope")).isEmpty();
    }

    @Test
    void deletingAWorkflowKeepsItsRuns() {
        store.putWorkflow(draft("hello", "hi"), T0);
        UUID runId = queuedRun("greet");

        assertThat(store.deleteWorkflow("hello")).isTrue();

        assertThat(store.findWorkflow("hello")).isEmpty();
        assertThat(store.deleteWorkflow("hello")).isFalse();
        assertThat(run(runId).workflowId()).isEqualTo("hello");
        assertThat(store.listRuns(new RunQuery("hello", null, null, 10, null)).runs()).extracting(RunSummary::runId)
                .containsExactly(runId);
    }

    /** Time travel and a resume's rebuild read the log in pages: the fold across pages is the projection. */
    @Test
    void aReplayOfTheLogInPagesGivesTheProjectionAtItsEndAndTheRunAsItWasBefore() {
        UUID runId = queuedRun("greet", "later");
        Log log = new Log(runId);
        List<RunEvent> events = new ArrayList<>(List.of(log.runStart(), log.stepStart("greet", 1)));
        events.addAll(log.logs("greet", RunReplay.PAGE + 500));
        RunEvent created = log.variable("n", "create", null, "1");
        events.add(created);
        events.addAll(log.logs("greet", RunReplay.PAGE));
        events.add(log.variable("n", "update", "1", "2"));
        events.add(log.stepComplete("greet", "success", 3, 1, null, "{\"k\":\"v\"}"));
        events.add(log.runComplete("cancelled", 10, "cancelled"));
        Commits.commit(store, events);
        RunDetail stored = run(runId);
        List<Map.Entry<String, String>> declared = stored.steps().stream()
                .map(step -> Map.entry(step.stepId(), step.stepName())).toList();

        RunFold.Run whole = RunReplay.fold(store, runId, RunFold.Run.queued(declared), stored.lastSeq());
        assertThat(stored.asOf(whole)).isEqualTo(stored);
        RunDetail before = stored.asOf(RunReplay.fold(store, runId, RunFold.Run.queued(declared), created.seq() - 1));
        assertThat(before.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(before.variables()).isEmpty();
        assertThat(before.steps()).extracting(StepState::status).containsExactly(StepStatus.RUNNING, StepStatus.PENDING);
        RunDetail after = stored.asOf(RunReplay.fold(store, runId, RunFold.Run.queued(declared), created.seq()));
        assertThat(after.variables()).isEqualTo(parse("{\"n\":1}"));
        assertThat(after.lastSeq()).isEqualTo(created.seq());
        assertThatThrownBy(() -> RunReplay.fold(store, runId, RunFold.Run.queued(declared), stored.lastSeq() + 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ends at seq " + stored.lastSeq());
    }

    @Test
    void summariesAndTheDetailCarryTheInputsAndTheNameInTheDefinitionTheRunWasQueuedWith() {
        UUID named = UUID.randomUUID();
        store.createRun(new NewRun(named, "hello", 1, Fixtures.json("{\"id\":\"hello\",\"name\":\"Grüße, \\\"hello\\\"\",\"steps\":[]}"),
                Fixtures.json("{\"who\":\"ada\"}"), T0, List.of()));
        UUID unnamed = UUID.randomUUID();
        store.createRun(newRun(unnamed, "plain", T0.plusSeconds(1)));

        RunSummary summary = store.listRuns(new RunQuery("hello", null, null, 10, null)).runs().getFirst();
        assertThat(summary.workflowName()).isEqualTo("Grüße, \"hello\"");
        assertThat(summary.inputs()).isEqualTo(parse("{\"who\":\"ada\"}"));
        assertThat(run(named).workflowName()).isEqualTo("Grüße, \"hello\"");
        assertThat(run(named).summary()).isEqualTo(summary);
        assertThat(store.listRuns(new RunQuery("plain", null, null, 10, null)).runs().getFirst().workflowName())
                .as("a definition without a name: the workflow id").isEqualTo("plain");
        assertThat(store.runsWithStatus(Set.of(RunStatus.QUEUED))).extracting(RunDetail::workflowName)
                .containsExactly("Grüße, \"hello\"", "plain");
    }

    @Test
    void everyVersionIsKeptNewestFirstWithItsDefinitionAndTime() {
        store.putWorkflow(draft("hello", "hi"), T0);
        store.putWorkflow(draft("hello", "hi"), T0.plusSeconds(30));
        store.putWorkflow(draft("hello", "hey"), T0.plusSeconds(60));
        store.putWorkflow(draft("hello", "yo"), T0.plusSeconds(120));

        assertThat(store.listWorkflowVersions("hello")).containsExactly(
                new WorkflowVersion(3, T0.plusSeconds(120)), new WorkflowVersion(2, T0.plusSeconds(60)), new WorkflowVersion(1, T0));
        StoredVersion first = store.findWorkflowVersion("hello", 1).orElseThrow();
        assertThat(first.updatedAt()).isEqualTo(T0);
        assertThat(first.definition()).isEqualTo(draft("hello", "hi").definition());
        assertThat(store.findWorkflowVersion("hello", 4)).isEmpty();
        assertThat(store.listWorkflowVersions("nope")).isEmpty();
    }

    @Test
    void deletingAWorkflowKeepsItsVersionsAndCreatingItAgainGoesOnFromTheLast() {
        store.putWorkflow(draft("hello", "hi"), T0);
        store.putWorkflow(draft("hello", "hey"), T0.plusSeconds(60));

        assertThat(store.deleteWorkflow("hello")).isTrue();

        assertThat(store.listWorkflowVersions("hello")).extracting(WorkflowVersion::version).containsExactly(2, 1);
        assertThat(store.findWorkflowVersion("hello", 2).orElseThrow().definition()).isEqualTo(draft("hello", "hey").definition());

        PutOutcome again = store.putWorkflow(draft("hello", "hi"), T0.plusSeconds(120));

        assertThat(again.created()).isTrue();
        assertThat(again.changed()).isFalse();
        assertThat(again.workflow().version()).isEqualTo(3);
        assertThat(store.listWorkflowVersions("hello")).extracting(WorkflowVersion::version).containsExactly(3, 2, 1);
        reopen();
        assertThat(store.findWorkflowVersion("hello", 1).orElseThrow().definition()).isEqualTo(draft("hello", "hi").definition());
    }

    // --- runs ----------------------------------------------------------------------------

    @Test
    void aCreatedRunIsQueuedWithAllItsStepsPendingInOrder() {
        UUID runId = UUID.randomUUID();
        NewRun created = newRun(runId, "hello", T0, "zeta", "alpha", "mid");
        store.createRun(created);

        RunDetail run = run(runId);
        assertThat(run.runId()).isEqualTo(runId);
        assertThat(run.workflowId()).isEqualTo("hello");
        assertThat(run.workflowVersion()).isEqualTo(3);
        assertThat(run.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(run.inputs()).isEqualTo(parse("{\"who\":\"world\",\"times\":2}"));
        assertThat(run.definition()).isEqualTo(created.definition());
        assertThat(run.createdAt()).isEqualTo(T0);
        assertThat(run.startedAt()).isNull();
        assertThat(run.finishedAt()).isNull();
        assertThat(run.durationMs()).isNull();
        assertThat(run.error()).isNull();
        assertThat(run.lastSeq()).isZero();
        assertThat(run.variables()).isEmpty();
        assertThat(run.steps()).containsExactly(
                new StepState("zeta", "Step zeta", StepStatus.PENDING, 0, null, null, null, null, null),
                new StepState("alpha", "Step alpha", StepStatus.PENDING, 0, null, null, null, null, null),
                new StepState("mid", "Step mid", StepStatus.PENDING, 0, null, null, null, null, null));
    }

    @Test
    void anUnknownRunIsNotFound() {
        assertThat(store.findRun(UUID.randomUUID())).isEmpty();
        assertThat(store.events(UUID.randomUUID(), 0, 10)).isEmpty();
    }

    @Test
    void aRunsPositionFollowsItsStatusAndLastSeq() {
        UUID runId = queuedRun("greet");
        assertThat(store.findPosition(runId)).contains(new RunPosition(RunStatus.QUEUED, 0));
        Log log = new Log(runId);

        Commits.commit(store, List.of(log.runStart(), log.stepStart("greet", 1)));
        assertThat(store.findPosition(runId)).contains(new RunPosition(RunStatus.RUNNING, 2));

        Commits.commit(store, List.of(log.stepComplete("greet", "success", 3, 1, null), log.runComplete("success", 10, null)));
        assertThat(store.findPosition(runId)).contains(new RunPosition(RunStatus.SUCCESS, 4));
        assertThat(store.findPosition(UUID.randomUUID())).isEmpty();
    }

    @Test
    void creatingARunTwiceFails() {
        UUID runId = queuedRun("greet");

        assertThatThrownBy(() -> store.createRun(newRun(runId, "hello", T0, "greet")))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("create run " + runId);
    }

    // --- schedules -------------------------------------------------------------------------

    /** A run that the schedule {@code nightly} of workflow {@code hello} starts for {@code dueAt}. */
    private static NewRun scheduledRun(Instant dueAt) {
        NewRun run = newRun(UUID.randomUUID(), "hello", T0, "greet");
        return new NewRun(run.runId(), run.workflowId(), run.workflowVersion(), run.definition(), run.inputs(), run.createdAt(),
                run.steps(), null, false, false, null, new RunTrigger("schedule", "nightly", dueAt), null);
    }

    @Test
    void aDueTimeFiresOnceAndOnlyLaterOnesFireAfterIt() {
        Instant due = T0.plusSeconds(60);
        NewRun first = scheduledRun(due);

        assertThat(store.fireSchedule("hello", "nightly", due, first)).isTrue();
        assertThat(store.fireSchedule("hello", "nightly", due, scheduledRun(due))).isFalse();
        assertThat(store.fireSchedule("hello", "nightly", due.minusSeconds(60), scheduledRun(due.minusSeconds(60)))).isFalse();
        NewRun later = scheduledRun(due.plusSeconds(60));
        assertThat(store.fireSchedule("hello", "nightly", due.plusSeconds(60), later)).isTrue();
        // Each (workflow, trigger) keeps its own last due time.
        assertThat(store.fireSchedule("hello", "weekly", due, null)).isTrue();
        assertThat(store.fireSchedule("other", "nightly", due, null)).isTrue();

        assertThat(store.listRuns(new RunQuery(null, null, "schedule", 10, null)).runs())
                .extracting(RunSummary::runId).containsExactlyInAnyOrder(first.runId(), later.runId());
        assertThat(run(first.runId()).trigger()).isEqualTo(new RunTrigger("schedule", "nightly", due));
        assertThat(run(first.runId()).status()).isEqualTo(RunStatus.QUEUED);
    }

    @Test
    void aDueTimeUsedUpWithoutARunIsNotFiredAgain() {
        assertThat(store.fireSchedule("hello", "nightly", T0, null)).isTrue();
        assertThat(store.fireSchedule("hello", "nightly", T0, scheduledRun(T0))).isFalse();
        assertThat(store.countQueued()).isZero();
    }

    @Test
    void aRunThatCannotBeStoredLeavesItsDueTimeUnfired() {
        NewRun run = scheduledRun(T0);
        store.createRun(run); // the same run id again: its insert fails, and takes the due time back with it

        assertThatThrownBy(() -> store.fireSchedule("hello", "nightly", T0, run)).isInstanceOf(StoreException.class);
        assertThat(store.fireSchedule("hello", "nightly", T0, scheduledRun(T0))).isTrue();
    }

    @Test
    void manyNodesFiringOneDueTimeQueueOneRun() throws Exception {
        for (int round = 0; round < 5; round++) {
            Instant due = T0.plusSeconds(round);
            List<Future<Boolean>> fired = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int node = 0; node < 8; node++) {
                    fired.add(threads.submit(() -> store.fireSchedule("hello", "nightly", due, scheduledRun(due))));
                }
            }
            int won = 0;
            for (Future<Boolean> one : fired) {
                won += one.get() ? 1 : 0;
            }
            assertThat(won).as("nodes that fired the due time %s", due).isEqualTo(1);
        }
        assertThat(store.countQueued()).isEqualTo(5);
    }

    @Test
    void workflowVersionsNameEachWorkflowsCurrentVersion() {
        store.putWorkflow(draft("a", "hi"), T0);
        store.putWorkflow(draft("b", "hi"), T0);
        store.putWorkflow(draft("b", "hello"), T0);

        assertThat(store.workflowVersions()).isEqualTo(Map.of("a", 1, "b", 2));
        store.deleteWorkflow("a");
        assertThat(store.workflowVersions()).isEqualTo(Map.of("b", 2));
    }

    // --- commit: projections -------------------------------------------------------------

    @Test
    void runStartMarksTheRunRunning() {
        UUID runId = queuedRun("greet");
        Log log = new Log(runId);

        Commits.commit(store, List.of(log.runStart()));

        RunDetail run = run(runId);
        assertThat(run.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(run.startedAt()).isEqualTo(Log.timeOf(1));
        assertThat(run.lastSeq()).isEqualTo(1);
    }

    @Test
    void stepLogsOnlyAdvanceTheLastSeq() {
        UUID runId = queuedRun("greet");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("greet", 1)));
        RunDetail before = run(runId);

        Commits.commit(store, log.logs("greet", 50));

        RunDetail after = run(runId);
        assertThat(after.lastSeq()).isEqualTo(52);
        assertThat(after).usingRecursiveComparison().ignoringFields("lastSeq").isEqualTo(before);
    }

    @Test
    void stepStartAndCompleteProjectOntoTheStep() {
        UUID runId = queuedRun("greet", "later");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("greet", 1)));

        assertThat(step(runId, "greet"))
                .isEqualTo(new StepState("greet", "Step greet", StepStatus.RUNNING, 1, Log.timeOf(2), null, null, null, null));

        Commits.commit(store, List.of(log.stepLog("greet", "hello"), log.stepComplete("greet", "success", 40, 1, null)));

        assertThat(step(runId, "greet"))
                .isEqualTo(new StepState("greet", "Step greet", StepStatus.SUCCESS, 1, Log.timeOf(2), 40L, null, null, Log.timeOf(4)));
        assertThat(step(runId, "later").status()).isEqualTo(StepStatus.PENDING);
    }

    @Test
    void aRetriedStepShowsItsLatestAttempt() {
        UUID runId = queuedRun("call");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("call", 1), log.stepComplete("call", "failed", 5, 1, "HTTP 503")));

        assertThat(step(runId, "call"))
                .isEqualTo(new StepState("call", "Step call", StepStatus.FAILED, 1, Log.timeOf(2), 5L, "HTTP 503", null, Log.timeOf(3)));

        Commits.commit(store, List.of(log.stepStart("call", 2)));

        assertThat(step(runId, "call"))
                .isEqualTo(new StepState("call", "Step call", StepStatus.RUNNING, 2, Log.timeOf(4), null, null, null, null));

        Commits.commit(store, List.of(log.stepComplete("call", "success", 7, 2, null)));

        assertThat(step(runId, "call"))
                .isEqualTo(new StepState("call", "Step call", StepStatus.SUCCESS, 2, Log.timeOf(4), 7L, null, null, Log.timeOf(5)));
    }

    @Test
    void aStepsOutputsAreTheLastCompletionsAndANewAttemptClearsThem() {
        UUID runId = queuedRun("build");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("build", 1),
                log.stepComplete("build", "failed", 5, 1, "exited with code 1", "{\"version\":\"1.4.1\"}")));
        assertThat(step(runId, "build").outputs()).isEqualTo(parse("{\"version\":\"1.4.1\"}"));

        Commits.commit(store, List.of(log.stepStart("build", 2)));
        assertThat(step(runId, "build").outputs()).as("a new attempt has none yet").isNull();

        Commits.commit(store, List.of(log.stepComplete("build", "success", 7, 2, null, "{\"version\":\"1.4.2\",\"n\":{\"a\":[1]}}")));
        assertThat(step(runId, "build").outputs()).isEqualTo(parse("{\"version\":\"1.4.2\",\"n\":{\"a\":[1]}}"));
    }

    @Test
    void aClaimedRunKnowsTheRunAndStepThatStartedIt() {
        UUID parentId = queuedRun("call");
        UUID childId = UUID.randomUUID();
        NewRun plain = newRun(childId, "hello", T0, "a");
        store.createRun(new NewRun(plain.runId(), plain.workflowId(), plain.workflowVersion(), plain.definition(),
                plain.inputs(), plain.createdAt(), plain.steps(), new RunParent(parentId, "call", 3), false, false, null,
                new RunTrigger("workflow", parentId.toString(), null), null));
        store.registerNode("node-a", NOW, NOW.plusSeconds(15));

        assertThat(store.claimRun(childId, "node-a")).get().extracting(ClaimedRun::parent)
                .isEqualTo(new RunParent(parentId, "call", 3));
        assertThat(store.claimRun(parentId, "node-a")).get().extracting(ClaimedRun::parent).isNull();
    }

    @Test
    void aSkippedStepThatNeverStartedHasNoStartTimeButAnEnd() {
        UUID runId = queuedRun("maybe");
        Log log = new Log(runId);

        Commits.commit(store, List.of(log.runStart(), log.stepComplete("maybe", "skipped", 0, 0, null)));

        assertThat(step(runId, "maybe"))
                .isEqualTo(new StepState("maybe", "Step maybe", StepStatus.SKIPPED, 0, null, 0L, null, null, Log.timeOf(2)));
    }

    @Test
    void aStepTheRunDidNotDeclareIsAppendedAfterTheOthers() {
        UUID runId = queuedRun("first", "second");
        Log log = new Log(runId);

        Commits.commit(store, List.of(log.runStart(), log.stepStart("extra", 1)));

        assertThat(run(runId).steps()).extracting(StepState::stepId).containsExactly("first", "second", "extra");
        assertThat(step(runId, "extra").status()).isEqualTo(StepStatus.RUNNING);
    }

    @Test
    void variableChangesAreCreatedUpdatedAndDeleted() {
        UUID runId = queuedRun("set");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart(),
                log.variable("count", "create", null, "1"),
                log.variable("user", "create", null, "{\"name\":\"ada\",\"tags\":[\"x\",2.5,null]}"),
                log.variable("gone", "create", null, "\"soon\"")));

        assertThat(run(runId).variables()).isEqualTo(
                parse("{\"count\":1,\"user\":{\"name\":\"ada\",\"tags\":[\"x\",2.5,null]},\"gone\":\"soon\"}"));

        Commits.commit(store, List.of(log.variable("count", "update", "1", "2"), log.variable("gone", "delete", "\"soon\"", null)));

        assertThat(run(runId).variables()).isEqualTo(parse("{\"count\":2,\"user\":{\"name\":\"ada\",\"tags\":[\"x\",2.5,null]}}"));
    }

    @Test
    void variableChangesWithinOneBatchLeaveTheLastValue() {
        UUID runId = queuedRun("set");
        Log log = new Log(runId);

        Commits.commit(store, List.of(log.runStart(),
                log.variable("a", "create", null, "1"),
                log.variable("a", "update", "1", "[1,2]"),
                log.variable("b", "create", null, "true"),
                log.variable("b", "delete", "true", null),
                log.variable("c", "create", null, "null"),
                log.variable("b", "create", null, "\"back\"")));

        assertThat(run(runId).variables()).isEqualTo(parse("{\"a\":[1,2],\"b\":\"back\",\"c\":null}"));
    }

    @Test
    void aTruncatedVariableIsStoredAsItsPreview() {
        UUID runId = queuedRun("set");
        Log log = new Log(runId);

        Commits.commit(store, List.of(log.runStart(), log.truncatedVariable("big", "{\"rows\":[1,2,3,…")));

        assertThat(run(runId).variables().get("big").textValue()).isEqualTo("{\"rows\":[1,2,3,…");
    }

    /**
     * A value over 16 KiB: streams read its event's preview, while the projection and every fold
     * of the log (a resume's, a retry's, time travel's) have it whole, as the run had it.
     */
    @Test
    void aVariableWhoseEventPreviewsItIsStoredWholeBesideTheEventAndFoldedWhole() {
        UUID runId = queuedRun("set");
        Log log = new Log(runId);
        String whole = "{\"rows\":[1,2,3,4],\"text\":\"" + "x".repeat(20_000) + "\"}";
        RunEvent start = log.runStart();
        RunEvent large = log.largeVariable("big", "{\"rows\":[1,2,3,…", whole);

        Commits.commit(store, List.of(start, large, log.stepLog("set", "after")));

        assertThat(run(runId).variables().get("big")).isEqualTo(parse(whole));
        RunEvent streamed = store.events(runId, 1, 1).getFirst();
        assertThat(streamed.payload().path("newValue").asText()).isEqualTo("{\"rows\":[1,2,3,…");
        assertThat(streamed.fullValue()).as("streams carry the envelope alone").isNull();
        List<RunEvent> toFold = store.eventsToFold(runId, 0, 10);
        assertThat(toFold).extracting(RunEvent::seq).containsExactly(1L, 2L, 3L);
        assertThat(toFold.get(1).json()).isEqualTo(large.json());
        assertThat(toFold.get(1).fullValue()).isEqualTo(parse(whole));
        assertThat(toFold.get(0).fullValue()).isNull();
        RunFold.Run folded = RunReplay.fold(store, runId, RunFold.Run.queued(List.of(Map.entry("set", "set"))), 3);
        assertThat(folded.currentVariables().get("big")).isEqualTo(parse(whole));
    }

    @Test
    void runCompleteRecordsTheOutcome() {
        UUID runId = queuedRun("stop");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("stop", 1)));

        Commits.commit(store, List.of(log.stepComplete("stop", "failed", 3, 1, "gave up"), log.runComplete("failed", 1234, "step stop failed: gave up")));

        RunDetail run = run(runId);
        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        assertThat(run.startedAt()).isEqualTo(Log.timeOf(1));
        assertThat(run.finishedAt()).isEqualTo(Log.timeOf(4));
        assertThat(run.durationMs()).isEqualTo(1234L);
        assertThat(run.error()).isEqualTo("step stop failed: gave up");
        assertThat(run.lastSeq()).isEqualTo(4);
    }

    @Test
    void aRunThatCompletesLeavesNoStepRunning() {
        UUID runId = queuedRun("cut", "never");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("cut", 1)));
        Commits.commit(store, List.of(log.runComplete("interrupted", 50, "the server stopped")));

        assertThat(step(runId, "cut").status()).isEqualTo(StepStatus.CANCELLED);
        assertThat(step(runId, "never").status()).isEqualTo(StepStatus.PENDING);
        assertThat(run(runId).status()).isEqualTo(RunStatus.INTERRUPTED);
    }

    @Test
    void aWholeRunInOneBatchProjectsItsFinalState() {
        UUID runId = queuedRun("greet", "set");
        Log log = new Log(runId);

        Commits.commit(store, List.of(log.runStart(), log.stepStart("greet", 1), log.stepLog("greet", "hi"),
                log.stepComplete("greet", "success", 2, 1, null), log.stepStart("set", 1),
                log.variable("x", "create", null, "1"), log.stepComplete("set", "success", 1, 1, null),
                log.runComplete("success", 9, null)));

        RunDetail run = run(runId);
        assertThat(run.status()).isEqualTo(RunStatus.SUCCESS);
        assertThat(run.startedAt()).isEqualTo(Log.timeOf(1));
        assertThat(run.finishedAt()).isEqualTo(Log.timeOf(8));
        assertThat(run.durationMs()).isEqualTo(9L);
        assertThat(run.error()).isNull();
        assertThat(run.lastSeq()).isEqualTo(8);
        assertThat(run.steps()).containsExactly(
                new StepState("greet", "Step greet", StepStatus.SUCCESS, 1, Log.timeOf(2), 2L, null, null, Log.timeOf(4)),
                new StepState("set", "Step set", StepStatus.SUCCESS, 1, Log.timeOf(5), 1L, null, null, Log.timeOf(7)));
        assertThat(run.variables()).isEqualTo(parse("{\"x\":1}"));
    }

    @Test
    void oneBatchMayHoldTheEventsOfSeveralRuns() {
        UUID first = queuedRun("greet");
        UUID second = queuedRun("greet");
        Log a = new Log(first);
        Log b = new Log(second);

        Commits.commit(store, List.of(a.runStart(), b.runStart(), a.stepStart("greet", 1), b.stepStart("greet", 1),
                b.stepLog("greet", "b"), a.variable("who", "create", null, "\"a\""), b.runComplete("cancelled", 5, null)));

        RunDetail runA = run(first);
        RunDetail runB = run(second);
        assertThat(runA.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(runA.lastSeq()).isEqualTo(3);
        assertThat(runA.variables()).isEqualTo(parse("{\"who\":\"a\"}"));
        assertThat(runA.steps().getFirst().status()).isEqualTo(StepStatus.RUNNING);
        assertThat(runB.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(runB.lastSeq()).isEqualTo(4);
        assertThat(runB.variables()).isEmpty();
        assertThat(store.events(first, 0, 100)).extracting(RunEvent::seq).containsExactly(1L, 2L, 3L);
        assertThat(store.events(second, 0, 100)).extracting(RunEvent::seq).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void aLargeBatchOfRunsAndTypesInterleavedAndInLongStretchesIsStoredByteForByte() {
        UUID first = queuedRun("greet");
        UUID second = queuedRun("greet");
        Log a = new Log(first);
        Log b = new Log(second);
        List<RunEvent> batch = new ArrayList<>(List.of(a.runStart(), b.runStart(), a.stepStart("greet", 1)));
        batch.addAll(a.logs("greet", 250));            // stretches of one run's step_logs
        for (int i = 0; i < 120; i++) {                 // the two runs and two types interleaved
            batch.add(i % 2 == 0 ? b.stepLog("greet", "b" + i) : a.variable("n", i == 1 ? "create" : "update", null, "" + i));
        }
        batch.addAll(b.logs("greet", 130));
        batch.add(a.runComplete("success", 9, null));

        Commits.commit(store, batch);

        for (UUID runId : List.of(first, second)) {
            List<RunEvent> expected = batch.stream().filter(event -> event.runId().equals(runId)).toList();
            List<RunEvent> stored = store.events(runId, 0, 1_000);
            assertThat(stored).extracting(RunEvent::seq).isEqualTo(expected.stream().map(RunEvent::seq).toList());
            for (int i = 0; i < stored.size(); i++) {
                assertThat(stored.get(i).json()).isEqualTo(expected.get(i).json());
                assertThat(stored.get(i).type()).isEqualTo(expected.get(i).type());
                assertThat(stored.get(i).time()).isEqualTo(expected.get(i).time());
            }
            assertThat(run(runId).lastSeq()).isEqualTo(expected.size());
        }
        assertThat(run(first).variables()).isEqualTo(parse("{\"n\":119}"));
    }

    // --- commit: atomicity ---------------------------------------------------------------

    @Test
    void aBatchWithADuplicateSeqCommitsNothing() {
        UUID stored = queuedRun("greet");
        UUID fresh = queuedRun("greet");
        Log a = new Log(stored);
        List<RunEvent> first = List.of(a.runStart(), a.stepStart("greet", 1), a.stepLog("greet", "one"));
        Commits.commit(store, first);
        RunDetail storedBefore = run(stored);
        RunDetail freshBefore = run(fresh);
        Log b = new Log(fresh);

        List<RunEvent> bad = List.of(b.runStart(), b.stepStart("greet", 1), first.get(2), b.variable("v", "create", null, "1"));
        assertThatThrownBy(() -> Commits.commit(store, bad)).isInstanceOf(RuntimeException.class).hasMessageContaining(stored.toString());

        assertThat(run(stored)).usingRecursiveComparison().isEqualTo(storedBefore);
        assertThat(run(fresh)).usingRecursiveComparison().isEqualTo(freshBefore);
        assertThat(store.events(fresh, 0, 100)).isEmpty();
        assertThat(store.events(stored, 0, 100)).extracting(RunEvent::seq).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aBatchRepeatingASeqWithinItselfCommitsNothing() {
        UUID runId = queuedRun("greet");
        Log log = new Log(runId);
        RunEvent start = log.runStart();

        assertThatThrownBy(() -> Commits.commit(store, List.of(start, start))).isInstanceOf(RuntimeException.class);

        assertThat(run(runId).status()).isEqualTo(RunStatus.QUEUED);
        assertThat(store.events(runId, 0, 10)).isEmpty();
    }

    @Test
    void aBatchThatLeavesAGapInTheLogCommitsNothing() {
        UUID runId = queuedRun("greet");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart()));
        log.stepStart("greet", 1); // seq 2, never committed

        assertThatThrownBy(() -> Commits.commit(store, List.of(log.stepLog("greet", "seq 3"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("start at seq 3 but its stored log ends at seq 1");

        assertThat(run(runId).lastSeq()).isEqualTo(1);
        assertThat(store.events(runId, 0, 10)).hasSize(1);
    }

    @Test
    void eventsOfAnUnknownRunCommitNothing() {
        UUID known = queuedRun("greet");
        UUID unknown = UUID.randomUUID();
        Log a = new Log(known);

        assertThatThrownBy(() -> Commits.commit(store, List.of(a.runStart(), new Log(unknown).runStart())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(unknown + ", which does not exist");

        assertThat(run(known).status()).isEqualTo(RunStatus.QUEUED);
        assertThat(store.events(known, 0, 10)).isEmpty();
        assertThat(store.events(unknown, 0, 10)).isEmpty();
    }

    @Test
    void aMalformedPayloadIsRejectedNamingTheEvent() {
        UUID runId = queuedRun("greet");
        RunEvent bad = RunEvent.create(runId, 1, EventType.STEP_COMPLETE, T0,
                Json.object().put("stepId", "greet").put("status", "exploded").put("attempt", 1));

        assertThatThrownBy(() -> Commits.commit(store, List.of(bad)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(runId + "#1")
                .hasMessageContaining("exploded");
        assertThat(store.events(runId, 0, 10)).isEmpty();
    }

    // --- events --------------------------------------------------------------------------

    @Test
    void aReadWithinBytesStopsAtTheEventThatReachesThemAndAlwaysReadsOne() {
        UUID runId = queuedRun("greet");
        Log log = new Log(runId);
        List<RunEvent> committed = new ArrayList<>();
        committed.add(log.runStart());
        committed.add(log.stepStart("greet", 1));
        for (int i = 0; i < 8; i++) {
            committed.add(log.stepLog("greet", String.valueOf(i).repeat(1000)));
        }
        Commits.commit(store, committed);
        int line = committed.get(2).json().length;

        // Three lines reach 2.5 lines' bytes: the read stops with the third, and more may follow.
        EventPage read = store.eventsWithin(runId, 2, 100, line * 5 / 2);
        assertThat(read.events()).extracting(RunEvent::seq).containsExactly(3L, 4L, 5L);
        assertThat(read.events().get(2).json()).isEqualTo(committed.get(4).json());
        assertThat(read.next()).isEqualTo(5);
        assertThat(seqsAndNext(store.eventsWithin(runId, 2, 100, line * 3))).as("exactly reached")
                .isEqualTo(List.of(List.of(3L, 4L, 5L), 5L));
        assertThat(seqsAndNext(store.eventsWithin(runId, 2, 100, 1))).as("one event, however large")
                .isEqualTo(List.of(List.of(3L), 3L));
        assertThat(seqsAndNext(store.eventsWithin(runId, 2, 2, line * 10))).as("the limit still holds")
                .isEqualTo(List.of(List.of(3L, 4L), 4L));
        assertThat(seqsAndNext(store.eventsWithin(runId, 7, 100, line * 10))).as("the end of the log")
                .isEqualTo(List.of(List.of(8L, 9L, 10L), -1L));
        assertThat(seqsAndNext(store.eventsWithin(runId, 10, 100, line))).isEqualTo(List.of(List.of(), -1L));
    }

    private static List<Object> seqsAndNext(EventPage page) {
        return List.of(page.events().stream().map(RunEvent::seq).toList(), page.next());
    }

    @Test
    void eventsArePagedAfterASeqAndReadBackByteForByte() {
        UUID runId = queuedRun("greet");
        Log log = new Log(runId);
        List<RunEvent> committed = new ArrayList<>();
        committed.add(log.runStart());
        committed.add(log.stepStart("greet", 1));
        committed.addAll(log.logs("greet", 7));
        committed.add(log.variable("v", "create", null, "{\"é\":\"ü – 😀\"}"));
        Commits.commit(store, committed.subList(0, 4));
        Commits.commit(store, committed.subList(4, committed.size()));

        List<RunEvent> read = new ArrayList<>();
        long after = 0;
        List<List<Long>> pages = new ArrayList<>();
        for (List<RunEvent> page; !(page = store.events(runId, after, 4)).isEmpty(); after = page.getLast().seq()) {
            pages.add(page.stream().map(RunEvent::seq).toList());
            read.addAll(page);
        }

        assertThat(pages).containsExactly(List.of(1L, 2L, 3L, 4L), List.of(5L, 6L, 7L, 8L), List.of(9L, 10L));
        assertThat(read).hasSameSizeAs(committed);
        for (int i = 0; i < read.size(); i++) {
            RunEvent expected = committed.get(i);
            RunEvent actual = read.get(i);
            assertThat(actual.json()).isEqualTo(expected.json());
            assertThat(actual.runId()).isEqualTo(expected.runId());
            assertThat(actual.seq()).isEqualTo(expected.seq());
            assertThat(actual.type()).isEqualTo(expected.type());
            assertThat(actual.time()).isEqualTo(expected.time());
            assertThat(actual.payload()).isEqualTo(expected.payload());
        }
        assertThat(store.events(runId, 3, 2)).extracting(RunEvent::seq).containsExactly(4L, 5L);
        assertThat(store.events(runId, 10, 100)).isEmpty();
    }

    // --- listing -------------------------------------------------------------------------

    /** Runs created over a few milliseconds, several in the same one, so that ids break ties. */
    private List<RunSummary> createRuns(int count, String workflowId) {
        for (int i = 0; i < count; i++) {
            store.createRun(newRun(UUID.randomUUID(), workflowId, T0.plusMillis(i / 3), "greet"));
        }
        return store.listRuns(new RunQuery(workflowId, null, null, 500, null)).runs();
    }

    private static final Comparator<RunSummary> NEWEST_FIRST = Comparator
            .comparing(RunSummary::createdAt)
            .thenComparing(run -> run.runId().toString())
            .reversed();

    @Test
    void runsAreListedNewestFirstWithTiesBrokenById() {
        List<RunSummary> listed = createRuns(10, "hello");

        assertThat(listed).hasSize(10).isSortedAccordingTo(NEWEST_FIRST);
        assertThat(listed.getFirst().createdAt()).isEqualTo(T0.plusMillis(3));
        RunSummary first = listed.getFirst();
        assertThat(first.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(first.workflowId()).isEqualTo("hello");
        assertThat(first.workflowVersion()).isEqualTo(3);
        assertThat(first.lastSeq()).isZero();
    }

    @Test
    void pagesCoverEveryRunOnceInOrder() {
        List<RunSummary> all = createRuns(23, "hello");

        List<RunSummary> paged = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String cursor = null;
        do {
            RunPage page = store.listRuns(new RunQuery(null, null, null, 5, cursor));
            sizes.add(page.runs().size());
            paged.addAll(page.runs());
            cursor = page.next();
        } while (cursor != null);

        assertThat(sizes).containsExactly(5, 5, 5, 5, 3);
        assertThat(paged).extracting(RunSummary::runId).containsExactlyElementsOf(all.stream().map(RunSummary::runId).toList());
        assertThat(new HashSet<>(paged.stream().map(RunSummary::runId).toList())).hasSize(23);
    }

    @Test
    void aPageThatEndsExactlyAtTheLastRunHasNoNext() {
        createRuns(4, "hello");

        RunPage first = store.listRuns(new RunQuery(null, null, null, 2, null));
        RunPage second = store.listRuns(new RunQuery(null, null, null, 2, first.next()));

        assertThat(first.next()).isNotNull();
        assertThat(second.runs()).hasSize(2);
        assertThat(second.next()).isNull();
        assertThat(store.listRuns(new RunQuery(null, null, null, 4, null)).next()).isNull();
    }

    @Test
    void runsAreFilteredByWorkflowAndStatus() {
        List<RunSummary> hello = createRuns(4, "hello");
        List<RunSummary> other = createRuns(3, "other");
        for (RunSummary run : List.of(hello.get(0), hello.get(2), other.get(1))) {
            Commits.commit(store, List.of(new Log(run.runId()).runStart()));
        }

        assertThat(store.listRuns(new RunQuery("other", null, null, 10, null)).runs()).extracting(RunSummary::runId)
                .containsExactlyElementsOf(other.stream().map(RunSummary::runId).toList());
        assertThat(store.listRuns(new RunQuery(null, RunStatus.RUNNING, null, 10, null)).runs()).extracting(RunSummary::runId)
                .containsExactlyInAnyOrder(hello.get(0).runId(), hello.get(2).runId(), other.get(1).runId());
        assertThat(store.listRuns(new RunQuery("hello", RunStatus.RUNNING, null, 10, null)).runs()).extracting(RunSummary::runId)
                .containsExactly(hello.get(0).runId(), hello.get(2).runId());
        assertThat(store.listRuns(new RunQuery("hello", RunStatus.FAILED, null, 10, null)).runs()).isEmpty();
        assertThat(store.listRuns(new RunQuery("nope", null, null, 10, null))).isEqualTo(new RunPage(List.of(), null));
    }

    @Test
    void filteredPagesCoverEveryMatchingRunOnce() {
        List<RunSummary> hello = createRuns(7, "hello");
        createRuns(6, "other");

        RunPage first = store.listRuns(new RunQuery("hello", RunStatus.QUEUED, null, 3, null));
        RunPage second = store.listRuns(new RunQuery("hello", RunStatus.QUEUED, null, 3, first.next()));
        RunPage third = store.listRuns(new RunQuery("hello", RunStatus.QUEUED, null, 3, second.next()));

        assertThat(Stream.of(first, second, third).flatMap(page -> page.runs().stream()).map(RunSummary::runId))
                .containsExactlyElementsOf(hello.stream().map(RunSummary::runId).toList());
        assertThat(third.next()).isNull();
    }

    @Test
    void aMalformedCursorIsRejectedClearly() {
        String notBase64 = "not a cursor!";
        String notAPosition = Base64.getUrlEncoder().encodeToString("12_not-a-uuid".getBytes(StandardCharsets.US_ASCII));
        String notCanonical = Base64.getUrlEncoder()
                .encodeToString(("12_" + UUID.randomUUID().toString().toUpperCase()).getBytes(StandardCharsets.US_ASCII));

        for (String cursor : List.of(notBase64, notAPosition, notCanonical, "")) {
            assertThatThrownBy(() -> store.listRuns(new RunQuery(null, null, null, 10, cursor)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("malformed cursor");
        }
    }

    @Test
    void runsWithStatusAreOldestFirstWithWhatTheyNeedToResume() {
        UUID newest = UUID.randomUUID();
        UUID oldest = UUID.randomUUID();
        UUID finished = UUID.randomUUID();
        UUID middle = UUID.randomUUID();
        store.createRun(newRun(newest, "hello", T0.plusSeconds(30), "a"));
        store.createRun(newRun(oldest, "hello", T0, "a", "b"));
        store.createRun(newRun(finished, "hello", T0.plusSeconds(5), "a"));
        store.createRun(newRun(middle, "hello", T0.plusSeconds(10), "a"));
        Log log = new Log(oldest);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("a", 1), log.variable("x", "create", null, "42")));
        Log done = new Log(finished);
        Commits.commit(store, List.of(done.runStart(), done.runComplete("success", 1, null)));

        List<RunDetail> unfinished = store.runsWithStatus(Set.of(RunStatus.QUEUED, RunStatus.RUNNING));

        assertThat(unfinished).extracting(RunDetail::runId).containsExactly(oldest, middle, newest);
        RunDetail resumed = unfinished.getFirst();
        assertThat(resumed.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(resumed.lastSeq()).isEqualTo(3);
        assertThat(resumed.definition()).isEqualTo(newRun(oldest, "hello", T0).definition());
        assertThat(resumed.steps()).extracting(StepState::stepId, StepState::status)
                .containsExactly(tuple("a", StepStatus.RUNNING),
                        tuple("b", StepStatus.PENDING));
        assertThat(resumed.variables()).isEqualTo(parse("{\"x\":42}"));
        assertThat(unfinished.get(1).steps()).hasSize(1);
        assertThat(unfinished.get(1).variables()).isEmpty();
        assertThat(store.runsWithStatus(Set.of(RunStatus.SUCCESS))).extracting(RunDetail::runId).containsExactly(finished);
        assertThat(store.runsWithStatus(Set.of(RunStatus.INTERRUPTED))).isEmpty();
        assertThat(store.runsWithStatus(Set.of())).isEmpty();
    }

    // --- durability and concurrency ------------------------------------------------------

    @Test
    void reopeningTheStoreKeepsEverything() {
        store.putWorkflow(draft("hello", "hi"), T0);
        store.putWorkflow(draft("hello", "hey"), T0.plusSeconds(1));
        UUID runId = queuedRun("greet", "set");
        Log log = new Log(runId);
        List<RunEvent> events = List.of(log.runStart(), log.stepStart("greet", 1), log.stepLog("greet", "hi"),
                log.stepComplete("greet", "success", 2, 1, null), log.variable("x", "create", null, "{\"a\":1}"));
        Commits.commit(store, events);
        StoredWorkflow workflow = store.findWorkflow("hello").orElseThrow();
        RunDetail run = run(runId);
        RunPage page = store.listRuns(new RunQuery(null, null, null, 10, null));

        reopen();

        assertThat(store.findWorkflow("hello").orElseThrow()).usingRecursiveComparison().isEqualTo(workflow);
        assertThat(run(runId)).usingRecursiveComparison().isEqualTo(run);
        assertThat(store.listRuns(new RunQuery(null, null, null, 10, null))).usingRecursiveComparison().isEqualTo(page);
        assertThat(store.events(runId, 0, 100)).extracting(RunEvent::json)
                .containsExactlyElementsOf(events.stream().map(RunEvent::json).toList());
        assertThat(store.putWorkflow(draft("hello", "hey"), T0.plusSeconds(2)).workflow().version()).isEqualTo(2);
    }

    @Test
    void apiWritesAndReadsRunBesideTheCommitter() throws Exception {
        UUID busy = queuedRun("greet");
        int batches = 40;
        int runs = 30;
        List<Future<?>> work = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            work.add(threads.submit(() -> {
                Log log = new Log(busy);
                Commits.commit(store, List.of(log.runStart()));
                for (int i = 0; i < batches; i++) {
                    Commits.commit(store, log.logs("greet", 100));
                }
            }));
            for (int i = 0; i < runs; i++) {
                int n = i;
                work.add(threads.submit(() -> {
                    store.createRun(newRun(UUID.randomUUID(), "many", T0.plusMillis(n), "greet"));
                    store.putWorkflow(draft("wf" + (n % 5), "v" + n), T0);
                    assertThat(store.findRun(busy)).isPresent();
                    store.listRuns(new RunQuery(null, null, null, 10, null));
                    store.ping();
                }));
            }
            for (Future<?> future : work) {
                future.get();
            }
        }

        assertThat(run(busy).lastSeq()).isEqualTo(1 + batches * 100L);
        assertThat(store.events(busy, 0, 10_000)).hasSize(1 + batches * 100);
        assertThat(store.listRuns(new RunQuery("many", null, null, 100, null)).runs()).hasSize(runs);
        assertThat(store.listWorkflows()).hasSize(5);
    }

    @Test
    void aLiveStoreAnswersPing() {
        store.ping();
    }

    @Test
    void runTimesKeepMilliseconds() {
        UUID runId = UUID.randomUUID();
        Instant created = Instant.parse("2026-11-26T10:30:45.123Z");
        store.createRun(newRun(runId, "hello", created));

        assertThat(run(runId).createdAt()).isEqualTo(created);
        assertThat(run(runId).steps()).isEmpty();
    }

    // --- nodes: claims, cancels and leases --------------------------------------------------

    private static final Instant NOW = T0.plusSeconds(3600);

    @Test
    void claimsTakeTheOldestUnclaimedQueuedRunsUpToTheLimit() {
        UUID second = UUID.randomUUID();
        UUID first = UUID.randomUUID();
        UUID third = UUID.randomUUID();
        store.createRun(newRun(second, "hello", T0.plusSeconds(2), "a"));
        store.createRun(newRun(first, "hello", T0.plusSeconds(1), "a"));
        store.createRun(newRun(third, "hello", T0.plusSeconds(3), "a"));
        store.registerNode("node-a", NOW, NOW.plusSeconds(15));
        store.registerNode("node-b", NOW, NOW.plusSeconds(15));

        List<ClaimedRun> byA = store.claimQueued("node-a", 2).runs();
        List<ClaimedRun> byB = store.claimQueued("node-b", 5).runs();

        assertThat(byA).extracting(ClaimedRun::runId).containsExactly(first, second);
        assertThat(byB).extracting(ClaimedRun::runId).containsExactly(third);
        assertThat(store.claimQueued("node-b", 5).runs()).isEmpty();
        ClaimedRun claimed = byA.getFirst();
        assertThat(claimed.workflowId()).isEqualTo("hello");
        assertThat(claimed.workflowVersion()).isEqualTo(3);
        assertThat(claimed.lastSeq()).isZero();
        assertThat(claimed.inputs()).isEqualTo(parse("{\"who\":\"world\",\"times\":2}"));
        assertThat(claimed.definition()).isEqualTo(newRun(first, "hello", T0).definition());
        assertThat(claimed.cancelRequested()).isFalse();
        assertThat(run(first).status()).as("a claim does not start the run: its run_start does").isEqualTo(RunStatus.QUEUED);
        assertThat(store.countQueued()).isEqualTo(3);
    }

    @Test
    void concurrentClaimsFromManyNodesNeverShareARun() throws Exception {
        int runs = 60;
        for (int i = 0; i < runs; i++) {
            store.createRun(newRun(UUID.randomUUID(), "many", T0.plusMillis(i), "a"));
        }
        List<Future<List<ClaimedRun>>> claims = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int node = 0; node < 6; node++) {
                String nodeId = "node-" + node;
                store.registerNode(nodeId, NOW, NOW.plusSeconds(15));
                claims.add(threads.submit(() -> {
                    List<ClaimedRun> mine = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        mine.addAll(store.claimQueued(nodeId, 3).runs());
                    }
                    return mine;
                }));
            }
        }
        List<UUID> claimed = new ArrayList<>();
        for (Future<List<ClaimedRun>> claim : claims) {
            claim.get().forEach(run -> claimed.add(run.runId()));
        }
        assertThat(claimed).doesNotHaveDuplicates().hasSize(runs);
    }

    @Test
    void aRunIsClaimedOnlyWhileQueuedAndUnclaimed() {
        UUID runId = queuedRun("a");
        store.registerNode("node-a", NOW, NOW.plusSeconds(15));

        assertThat(store.claimRun(runId, "node-a")).get().extracting(ClaimedRun::runId).isEqualTo(runId);
        assertThat(store.claimRun(runId, "node-b")).isEmpty();
        assertThat(store.claimQueued("node-b", 10).runs()).isEmpty();
        assertThat(store.claimRun(UUID.randomUUID(), "node-a")).isEmpty();
    }

    @Test
    void aCancelIsRecordedForUnfinishedRunsAndReachesTheirOwner() {
        UUID queued = queuedRun("a");
        UUID running = queuedRun("a");
        UUID finished = queuedRun("a");
        store.registerNode("node-a", NOW, NOW.plusSeconds(15));
        store.claimRun(running, "node-a");
        Log log = new Log(running);
        store.commit("node-a", List.of(log.runStart()));
        Log done = new Log(finished);
        Commits.commit(store, List.of(done.runStart(), done.runComplete("success", 1, null)));

        assertThat(store.requestCancel(queued)).contains(new CancelTarget(RunStatus.QUEUED, null));
        assertThat(store.requestCancel(running)).contains(new CancelTarget(RunStatus.RUNNING, "node-a"));
        assertThat(store.requestCancel(finished)).isEmpty();
        assertThat(store.requestCancel(UUID.randomUUID())).isEmpty();

        assertThat(store.cancelRequested("node-a")).containsExactly(running);
        ClaimedRun claimedAfterCancel = store.claimRun(queued, "node-b").orElseThrow();
        assertThat(claimedAfterCancel.cancelRequested()).isTrue();
        store.commit("node-a", List.of(log.runComplete("cancelled", 5, "cancelled")));
        assertThat(store.cancelRequested("node-a")).as("an ended run needs no cancel").isEmpty();
    }

    @Test
    void theRunsOfANodeWhoseLeaseLapsedAreAdoptedOnceAndItsQueuedRunsReleased() {
        UUID running = queuedRun("a");
        UUID claimedNotStarted = queuedRun("a");
        UUID ofTheLiveNode = queuedRun("a");
        store.registerNode("dead", NOW, NOW.plusSeconds(15));
        store.registerNode("alive", NOW, NOW.plusSeconds(15));
        store.claimRun(running, "dead");
        store.claimRun(claimedNotStarted, "dead");
        store.claimRun(ofTheLiveNode, "alive");
        Log log = new Log(running);
        store.commit("dead", List.of(log.runStart(), log.stepStart("a", 1)));
        store.commit("alive", List.of(new Log(ofTheLiveNode).runStart()));
        assertThat(store.renewLease("alive", NOW.plusSeconds(40))).isTrue();

        assertThat(store.adoptOrphans("alive", NOW.plusSeconds(10))).as("no lease has lapsed yet").isEmpty();
        List<OrphanedRun> adopted = store.adoptOrphans("alive", NOW.plusSeconds(20));

        assertThat(adopted).containsExactly(new OrphanedRun(running, "hello", Log.timeOf(1), 2));
        assertThat(store.adoptOrphans("other", NOW.plusSeconds(20))).as("adopted once").isEmpty();
        assertThat(store.claimQueued("alive", 10).runs()).extracting(ClaimedRun::runId).containsExactly(claimedNotStarted);
        assertThat(store.renewLease("dead", NOW.plusSeconds(60))).as("a lapsed node learns it is gone").isFalse();
        store.requestCancel(running);
        assertThat(store.cancelRequested("alive")).as("the adopter owns the run now").containsExactly(running);
    }

    @Test
    void aNodeRegisteringAgainOrphansWhatItsPreviousProcessLeftUnfinished() {
        UUID running = queuedRun("a");
        store.registerNode("node-a", NOW, NOW.plusSeconds(15));
        store.claimRun(running, "node-a");
        store.commit("node-a", List.of(new Log(running).runStart()));

        store.registerNode("node-a", NOW.plusSeconds(1), NOW.plusSeconds(16));

        assertThat(store.adoptOrphans("node-a", NOW.plusSeconds(1))).extracting(OrphanedRun::runId).containsExactly(running);
        assertThat(store.renewLease("node-a", NOW.plusSeconds(20))).isTrue();
        store.deregisterNode("node-a");
        assertThat(store.renewLease("node-a", NOW.plusSeconds(20))).isFalse();
    }

    // --- concurrency groups ------------------------------------------------------------------

    /** A queued run of a workflow whose concurrency key is {@code key}. */
    private UUID keyedRun(String key, int limit, String onLimit, Instant createdAt) {
        return keyedRun(key, limit, onLimit, createdAt, false);
    }

    private UUID keyedRun(String key, int limit, String onLimit, Instant createdAt, boolean resumable) {
        UUID runId = UUID.randomUUID();
        NewRun plain = newRun(runId, "deploy", createdAt, "a");
        store.createRun(new NewRun(runId, plain.workflowId(), plain.workflowVersion(), plain.definition(), plain.inputs(),
                plain.createdAt(), plain.steps(), null, resumable, false, null, RunTrigger.MANUAL,
                new RunConcurrency(key, limit, onLimit)));
        return runId;
    }

    @Test
    void theConcurrencyKeysUpARunsChainAreEachLevelsNearestFirst() {
        UUID top = keyedRun("prod", 1, "queue", T0);
        UUID middle = childRun(top, null, T0.plusSeconds(1));
        UUID bottom = childRun(middle, new RunConcurrency("audit", 2, "queue"), T0.plusSeconds(2));

        assertThat(store.concurrencyKeysUp(bottom)).containsExactly("audit", null, "prod");
        assertThat(store.concurrencyKeysUp(top)).containsExactly("prod");
        assertThat(store.concurrencyKeysUp(UUID.randomUUID())).isEmpty();
    }

    private UUID childRun(UUID parent, RunConcurrency concurrency, Instant createdAt) {
        UUID runId = UUID.randomUUID();
        NewRun plain = newRun(runId, "deploy", createdAt, "a");
        store.createRun(new NewRun(runId, plain.workflowId(), plain.workflowVersion(), plain.definition(), plain.inputs(),
                plain.createdAt(), plain.steps(), new RunParent(parent, "a", 1), false, false, null, RunTrigger.workflow(parent),
                concurrency));
        return runId;
    }

    private static List<UUID> ids(Claim claim) {
        return claim.runs().stream().map(ClaimedRun::runId).toList();
    }

    /** The run, claimed by {@code node}, starts and ends there. */
    private void runToEnd(String node, UUID runId) {
        Log log = new Log(runId);
        store.commit(node, List.of(log.runStart()));
        store.commit(node, List.of(log.runComplete("success", 1, null)));
    }

    @Test
    void aKeysRunsAreClaimedOnlyWhileItHasASlotCountedOverEveryNode() {
        store.registerNode("node-a", NOW, NOW.plusSeconds(60));
        store.registerNode("node-b", NOW, NOW.plusSeconds(60));
        UUID first = keyedRun("prod", 2, "queue", T0.plusSeconds(1));
        UUID second = keyedRun("prod", 2, "queue", T0.plusSeconds(2));
        UUID third = keyedRun("prod", 2, "queue", T0.plusSeconds(3));
        UUID staging = keyedRun("staging", 2, "queue", T0.plusSeconds(4));
        UUID unkeyed = UUID.randomUUID();
        store.createRun(newRun(unkeyed, "hello", T0.plusSeconds(5), "a"));

        assertThat(ids(store.claimQueued("node-a", 1))).as("the oldest run, keyed or not").containsExactly(first);
        Claim byB = store.claimQueued("node-b", 10);
        assertThat(ids(byB)).as("prod has one slot left; the others have no key or room")
                .containsExactly(second, staging, unkeyed);
        assertThat(byB.heldBack()).isTrue();
        assertThat(byB.cancels()).isEmpty();

        store.commit("node-a", List.of(new Log(first).runStart()));
        assertThat(ids(store.claimQueued("node-b", 10))).as("a claimed run, started or not, holds its slot").isEmpty();
        runToEnd("node-b", second);
        assertThat(ids(store.claimQueued("node-b", 10))).as("a run's end frees its slot").containsExactly(third);
        assertThat(store.claimQueued("node-b", 10)).isEqualTo(Claim.NONE);
    }

    @Test
    void aKeysRunsAreClaimedFirstComeFirstServed() {
        store.registerNode("node-a", NOW, NOW.plusSeconds(60));
        List<UUID> byCreation = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byCreation.add(null);
        }
        for (int i : List.of(3, 0, 4, 1, 2)) { // stored in another order than created
            byCreation.set(i, keyedRun("prod", 1, "queue", T0.plusMillis(i)));
        }

        List<UUID> claimed = new ArrayList<>();
        for (int i = 0; i < byCreation.size(); i++) {
            List<UUID> one = ids(store.claimQueued("node-a", 3));
            assertThat(one).hasSize(1);
            claimed.add(one.getFirst());
            runToEnd("node-a", one.getFirst());
        }
        assertThat(claimed).containsExactlyElementsOf(byCreation);
    }

    @Test
    void nodesClaimingOneKeyAtOnceNeverBothTakeItsLastSlot() throws Exception {
        int runs = 40;
        List<UUID> byCreation = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            byCreation.add(keyedRun("prod", 1, "queue", T0.plusMillis(i)));
        }
        java.util.concurrent.atomic.AtomicReference<UUID> holder = new java.util.concurrent.atomic.AtomicReference<>();
        List<String> overlaps = java.util.Collections.synchronizedList(new ArrayList<>());
        List<UUID> order = java.util.Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        List<Future<?>> claimers = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(2)) {
            for (String nodeId : List.of("node-a", "node-b")) {
                store.registerNode(nodeId, NOW, NOW.plusSeconds(600));
                claimers.add(threads.submit(() -> {
                    while (order.size() < runs && System.nanoTime() < deadline) {
                        for (ClaimedRun run : store.claimQueued(nodeId, 2).runs()) {
                            // The slot is this run's from its claim until its run_complete is stored.
                            if (!holder.compareAndSet(null, run.runId())) {
                                overlaps.add(nodeId + " claimed " + run.runId() + " while " + holder.get() + " held the slot");
                            }
                            order.add(run.runId());
                            Log log = new Log(run.runId());
                            store.commit(nodeId, List.of(log.runStart()));
                            holder.compareAndSet(run.runId(), null);
                            store.commit(nodeId, List.of(log.runComplete("success", 1, null)));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> claimer : claimers) {
                claimer.get();
            }
        }
        assertThat(overlaps).isEmpty();
        assertThat(order).as("every run once, oldest first").containsExactlyElementsOf(byCreation);
    }

    @Test
    void threeNodesClaimingAKeyOfTwoSlotsAtOnceNeverHoldThree() throws Exception {
        int runs = 45;
        for (int i = 0; i < runs; i++) {
            keyedRun("prod", 2, "queue", T0.plusMillis(i));
        }
        java.util.concurrent.atomic.AtomicInteger holding = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        List<UUID> claimed = java.util.Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        List<Future<?>> claimers = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(3)) {
            for (int node = 1; node <= 3; node++) {
                String nodeId = "node-" + node;
                int free = node; // 1, 2 and 3 free slots
                store.registerNode(nodeId, NOW, NOW.plusSeconds(600));
                claimers.add(threads.submit(() -> {
                    while (claimed.size() < runs && System.nanoTime() < deadline) {
                        List<ClaimedRun> mine = store.claimQueued(nodeId, free).runs();
                        most.accumulateAndGet(holding.addAndGet(mine.size()), Math::max);
                        for (ClaimedRun run : mine) {
                            claimed.add(run.runId());
                            Log log = new Log(run.runId());
                            store.commit(nodeId, List.of(log.runStart()));
                            holding.decrementAndGet(); // before its end is stored: the slot is still held
                            store.commit(nodeId, List.of(log.runComplete("success", 1, null)));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> claimer : claimers) {
                claimer.get();
            }
        }
        assertThat(claimed).doesNotHaveDuplicates().hasSize(runs);
        assertThat(most.get()).as("runs holding a slot at once").isLessThanOrEqualTo(2);
    }

    @Test
    void pastItsLimitASkipRunIsClaimedToBeEndedEvenByAFullNodeAndHoldsNoSlotMeanwhile() {
        store.registerNode("node-a", NOW, NOW.plusSeconds(60));
        store.registerNode("node-b", NOW, NOW.plusSeconds(60));
        UUID running = keyedRun("prod", 1, "skip", T0.plusSeconds(1));
        assertThat(ids(store.claimQueued("node-a", 1))).containsExactly(running);
        store.commit("node-a", List.of(new Log(running).runStart()));
        UUID skipped = keyedRun("prod", 1, "skip", T0.plusSeconds(2));

        Claim claim = store.claimQueued("node-b", 0);
        assertThat(claim.runs()).extracting(ClaimedRun::runId, ClaimedRun::overLimit, ClaimedRun::cancelRequested)
                .containsExactly(tuple(skipped, true, false));
        assertThat(claim.heldBack()).as("nothing waits for the limit").isFalse();
        assertThat(run(skipped).status()).as("claimed, to be ended by its claimer").isEqualTo(RunStatus.QUEUED);

        store.commit("node-a", List.of(new Log(running, 1).runComplete("success", 1, null)));
        UUID next = keyedRun("prod", 1, "skip", T0.plusSeconds(3));
        assertThat(store.claimQueued("node-b", 1).runs()).extracting(ClaimedRun::runId, ClaimedRun::overLimit)
                .as("the skipped run, not ended yet, takes no slot").containsExactly(tuple(next, false));
    }

    @Test
    void pastItsLimitACancelRunningRunHasTheOldestHolderCancelledOnceAndWaitsForItsSlot() {
        store.registerNode("node-a", NOW, NOW.plusSeconds(60));
        store.registerNode("node-b", NOW, NOW.plusSeconds(60));
        UUID oldest = keyedRun("prod", 1, "cancel-running", T0.plusSeconds(1));
        assertThat(ids(store.claimQueued("node-a", 1))).containsExactly(oldest);
        store.commit("node-a", List.of(new Log(oldest).runStart()));
        UUID newer = keyedRun("prod", 1, "cancel-running", T0.plusSeconds(2));

        Claim claim = store.claimQueued("node-b", 5);
        assertThat(claim.runs()).as("never two past the limit").isEmpty();
        assertThat(claim.cancels()).containsExactly(oldest);
        assertThat(claim.heldBack()).isTrue();
        assertThat(store.cancelRequested("node-a")).as("recorded for its node").containsExactly(oldest);
        assertThat(store.claimQueued("node-b", 5).cancels()).as("one cancel for one waiting run").isEmpty();
        UUID newest = keyedRun("prod", 1, "cancel-running", T0.plusSeconds(3));
        assertThat(store.claimQueued("node-b", 5)).as("the one slot is promised to the older waiting run")
                .isEqualTo(new Claim(List.of(), List.of(), true));

        store.commit("node-a", List.of(new Log(oldest, 1).runComplete("cancelled", 1, "cancelled")));
        assertThat(ids(store.claimQueued("node-b", 5))).containsExactly(newer);
        assertThat(store.claimQueued("node-b", 5).cancels()).as("the newest waits in turn").containsExactly(newer);
    }

    @Test
    void aCancelledQueuedRunOfAKeyIsClaimedToBeEnded() {
        store.registerNode("node-a", NOW, NOW.plusSeconds(60));
        UUID runId = keyedRun("prod", 1, "queue", T0);
        store.requestCancel(runId);

        assertThat(store.claimQueued("node-a", 0).runs()).extracting(ClaimedRun::runId, ClaimedRun::cancelRequested,
                ClaimedRun::overLimit).containsExactly(tuple(runId, true, false));
    }

    @Test
    void aRunOfAKeyHandedBackOrParkedKeepsItsSlotAndIsClaimedAsBefore() {
        store.registerNode("node-a", NOW, NOW.plusSeconds(60));
        store.registerNode("node-b", NOW, NOW.plusSeconds(60));
        UUID resumable = keyedRun("prod", 1, "queue", T0.plusSeconds(1), true);
        assertThat(ids(store.claimQueued("node-a", 1))).containsExactly(resumable);
        store.commit("node-a", List.of(new Log(resumable).runStart()));
        assertThat(store.handBack("node-a")).isEqualTo(1);
        UUID queued = keyedRun("prod", 1, "queue", T0.plusSeconds(2));

        Claim claim = store.claimQueued("node-b", 5);
        assertThat(ids(claim)).as("the handed back run, to be resumed; not the queued one").containsExactly(resumable);
        assertThat(claim.heldBack()).isTrue();
        assertThat(run(queued).status()).isEqualTo(RunStatus.QUEUED);
    }

    /**
     * The fold of events into run state, on the shared fixtures that the web page's reducer
     * (web/runstate.mjs) is tested on too (web-tests/runstate.test.mjs): one rule, whichever
     * side applies it, and however the events are batched.
     */
    @Test
    void theRunStateFixturesFoldHereAsInTheWebPage() throws java.io.IOException {
        JsonNode fixtures;
        try (var in = StoreContractTest.class.getResourceAsStream("/runstate/fixtures.json")) {
            fixtures = Json.MAPPER.readTree(in);
        }
        assertThat(fixtures.size()).isGreaterThanOrEqualTo(5);
        for (JsonNode fixture : fixtures) {
            String about = fixture.path("about").asText();
            String[] stepIds = java.util.stream.StreamSupport.stream(fixture.path("steps").spliterator(), false)
                    .map(step -> step.path("stepId").asText()).toArray(String[]::new);
            for (boolean oneBatch : new boolean[] {true, false}) {
                UUID runId = queuedRunWithApprovals(stepIds);
                List<RunEvent> events = new ArrayList<>();
                for (JsonNode event : fixture.path("events")) {
                    long seq = events.size() + 1;
                    events.add(RunEvent.create(runId, seq, EventType.fromWire(event.path("type").asText()),
                            T0.plusSeconds(seq), (com.fasterxml.jackson.databind.node.ObjectNode) event.path("payload")));
                }
                if (oneBatch) {
                    Commits.commit(store, events);
                } else {
                    events.forEach(event -> Commits.commit(store, List.of(event)));
                }
                RunDetail run = store.findRun(runId).orElseThrow();
                JsonNode expected = fixture.path("expected");
                String as = about + (oneBatch ? " (one batch)" : " (an event a batch)");
                assertThat(run.status().wire()).as(as).isEqualTo(expected.path("status").asText());
                assertThat(run.error()).as(as).isEqualTo(expected.path("error").isNull() ? null : expected.path("error").asText());
                List<JsonNode> steps = run.steps().stream().<JsonNode>map(step -> Json.object().put("stepId", step.stepId())
                        .put("status", step.status().wire()).put("attempt", step.attempt()).put("error", step.error())).toList();
                assertThat(steps).as(as).containsExactlyElementsOf(expected.path("steps"));
                assertThat((JsonNode) run.variables()).as(as).isEqualTo(expected.path("variables"));
            }
        }
    }

    /**
     * The store's projection is the one fold of run state ({@link RunFold}): after every event of
     * every fixture, the run's log so far folded from its start gives what the store shows.
     */
    @Test
    void aRunsLogFoldedFromItsStartIsTheStoresProjectionEventByEvent() throws java.io.IOException {
        JsonNode fixtures;
        try (var in = StoreContractTest.class.getResourceAsStream("/runstate/fixtures.json")) {
            fixtures = Json.MAPPER.readTree(in);
        }
        for (JsonNode fixture : fixtures) {
            List<Map.Entry<String, String>> declared = new ArrayList<>();
            fixture.path("steps").forEach(step -> declared.add(Map.entry(step.path("stepId").asText(), "Step " + step.path("stepId").asText())));
            UUID runId = queuedRunWithApprovals(declared.stream().map(Map.Entry::getKey).toArray(String[]::new));
            RunFold.Run folded = RunFold.Run.queued(declared);
            JsonNode statusAfter = fixture.path("statusAfter");
            long seq = 0;
            for (JsonNode event : fixture.path("events")) {
                seq++;
                RunEvent next = RunEvent.create(runId, seq, EventType.fromWire(event.path("type").asText()),
                        T0.plusSeconds(seq), (com.fasterxml.jackson.databind.node.ObjectNode) event.path("payload"));
                Commits.commit(store, List.of(next));
                RunFold.apply(folded, next);

                String as = fixture.path("about").asText() + ", after seq " + seq;
                RunDetail stored = store.findRun(runId).orElseThrow();
                assertThat(stored.status()).as(as).isEqualTo(folded.status);
                if (statusAfter.has(Long.toString(seq))) {
                    assertThat(folded.status.wire()).as(as).isEqualTo(statusAfter.path(Long.toString(seq)).asText());
                }
                assertThat(stored.error()).as(as).isEqualTo(folded.error);
                assertThat(stored.lastSeq()).as(as).isEqualTo(folded.lastSeq);
                assertThat(stored.startedAt()).as(as).isEqualTo(folded.startedAt == null ? null : Instant.ofEpochMilli(folded.startedAt));
                assertThat(stored.finishedAt()).as(as).isEqualTo(folded.finishedAt == null ? null : Instant.ofEpochMilli(folded.finishedAt));
                assertThat(stored.durationMs()).as(as).isEqualTo(folded.durationMs);
                assertThat(stored.steps()).as(as).containsExactlyElementsOf(folded.steps.values().stream().map(step -> new StepState(
                        step.stepId, step.stepName, step.status, step.attempt,
                        step.startedAt == null ? null : Instant.ofEpochMilli(step.startedAt), step.durationMs, step.error,
                        step.outputs, step.finishedAt == null ? null : Instant.ofEpochMilli(step.finishedAt))).toList());
                assertThat((JsonNode) stored.variables()).as(as).isEqualTo(Json.MAPPER.valueToTree(folded.currentVariables()));
            }
        }
    }

    // --- approvals ------------------------------------------------------------------------

    /** A run of node-a whose one started step waits for a decision: status waiting, held by node-a. */
    private UUID waitingRun() {
        UUID runId = queuedRunWithApprovals("gate", "ship");
        store.registerNode("node-a", NOW, NOW.plusSeconds(60));
        store.registerNode("node-b", NOW, NOW.plusSeconds(60));
        assertThat(store.claimQueued("node-a", 1, NOW).runs()).extracting(ClaimedRun::runId).containsExactly(runId);
        Log log = new Log(runId);
        store.commit("node-a", List.of(log.runStart(), log.stepStart("gate", 1),
                log.event(EventType.STEP_WAITING, Json.object().put("stepId", "gate").put("message", "go?"))));
        assertThat(store.findRun(runId).orElseThrow().status()).isEqualTo(RunStatus.WAITING);
        return runId;
    }

    @Test
    void aParkedRunIsClaimedOnceADecisionIsTakenAndTheDecisionOnlyOnce() {
        UUID runId = waitingRun();
        assertThat(store.park(runId, "node-a", NOW.plusSeconds(3600))).as("nothing decided yet").isFalse();
        assertThat(store.claimQueued("node-b", 10, NOW).runs()).as("not before a decision or its deadline").isEmpty();

        var decision = Json.object().put("approved", true).put("by", "ann");
        assertThat(store.decide(runId, "gate", decision)).isEqualTo(new Decided(Decided.Outcome.TAKEN, null));
        assertThat(store.decide(runId, "gate", decision).outcome()).isEqualTo(Decided.Outcome.NOT_WAITING);
        assertThat(store.decide(runId, "ship", decision).outcome()).isEqualTo(Decided.Outcome.NOT_WAITING);
        assertThat(store.decide(runId, "nope", decision).outcome()).isEqualTo(Decided.Outcome.NO_STEP);
        assertThat(store.decide(UUID.randomUUID(), "gate", decision).outcome()).isEqualTo(Decided.Outcome.NO_RUN);
        assertThat(store.decisions(runId)).containsOnlyKeys("gate");

        List<ClaimedRun> claimed = store.claimQueued("node-b", 10, NOW).runs();
        assertThat(claimed).extracting(ClaimedRun::runId, ClaimedRun::status, ClaimedRun::lastSeq)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(runId, RunStatus.WAITING, 3L));
        Log log = new Log(runId, 3);
        store.commit("node-b", List.of(log.event(EventType.STEP_COMPLETE, Json.object().put("stepId", "gate")
                .put("stepName", "Gate").put("status", "success").put("duration", 5).put("attempt", 1).set("decision", decision))));
        RunDetail run = store.findRun(runId).orElseThrow();
        assertThat(run.status()).as("its waiting step ended: it runs").isEqualTo(RunStatus.RUNNING);
        assertThat(store.decisions(runId)).isEmpty();
    }

    @Test
    void aDecisionTakenWhileItsNodeHoldsTheRunNamesThatNode() {
        UUID runId = waitingRun();
        assertThat(store.decide(runId, "gate", Json.object().put("approved", false).put("by", "bob")))
                .isEqualTo(new Decided(Decided.Outcome.TAKEN, "node-a"));
        assertThat(store.park(runId, "node-a", null)).as("decided before the park: claimable at once").isTrue();
        assertThat(store.claimQueued("node-b", 10, NOW).runs()).extracting(ClaimedRun::runId).containsExactly(runId);
    }

    @Test
    void aParkedRunIsClaimedAtItsDeadlineAndCanBeCancelled() {
        UUID runId = waitingRun();
        store.park(runId, "node-a", NOW.plusSeconds(5));
        assertThat(store.nextWake()).contains(NOW.plusSeconds(5));
        assertThat(store.claimQueued("node-b", 10, NOW.plusSeconds(4)).runs()).isEmpty();
        assertThat(store.claimQueued("node-b", 10, NOW.plusSeconds(5)).runs()).extracting(ClaimedRun::runId).containsExactly(runId);

        UUID other = waitingRunOf("node-a");
        store.park(other, "node-a", null);
        assertThat(store.requestCancel(other)).contains(new CancelTarget(RunStatus.WAITING, null));
        assertThat(store.claimRun(other, "node-b")).as("a parked run is claimed to be ended").isPresent();
    }

    private UUID waitingRunOf(String node) {
        UUID runId = queuedRunWithApprovals("gate");
        assertThat(store.claimRun(runId, node)).isPresent();
        Log log = new Log(runId);
        store.commit(node, List.of(log.runStart(), log.stepStart("gate", 1),
                log.event(EventType.STEP_WAITING, Json.object().put("stepId", "gate").put("message", "go?"))));
        return runId;
    }

    @Test
    void aWaitingRunOfANodeThatDiedIsLeftForAClaimNotInterrupted() {
        UUID runId = waitingRun();
        store.registerNode("taker", NOW, NOW.plusSeconds(600));
        assertThat(store.adoptOrphans("taker", NOW.plusSeconds(120))).as("nothing to interrupt").isEmpty();
        assertThat(store.findRun(runId).orElseThrow().status()).isEqualTo(RunStatus.WAITING);
        assertThat(store.claimQueued("taker", 10, NOW).runs()).extracting(ClaimedRun::runId).containsExactly(runId);
    }

    @Test
    void aNodeWhoseRunWasTakenOverHasItsLateEventsRefusedAndTheRunEndsOnce() {
        UUID runId = queuedRun("a");
        store.registerNode("paused", NOW, NOW.plusSeconds(3));
        store.registerNode("taker", NOW, NOW.plusSeconds(60));
        store.claimRun(runId, "paused");
        Log log = new Log(runId);
        store.commit("paused", List.of(log.runStart(), log.stepStart("a", 1)));
        List<OrphanedRun> adopted = store.adoptOrphans("taker", NOW.plusSeconds(10));
        assertThat(adopted).extracting(OrphanedRun::runId).containsExactly(runId);

        Log late = new Log(runId, 2);
        assertThatThrownBy(() -> store.commit("paused", List.of(late.stepLog("a", "written after the lease lapsed"))))
                .isInstanceOf(RunLostException.class)
                .hasMessageContaining("held by node taker, not by node paused");
        Log taker = new Log(runId, 2);
        store.commit("taker", List.of(taker.runComplete("interrupted", 10, "the server stopped")));
        assertThatThrownBy(() -> store.commit("paused", List.of(late.stepLog("a", "even later"))))
                .isInstanceOf(RunLostException.class)
                .hasMessageContaining("ended interrupted at seq 3");

        assertThat(store.events(runId, 0, 100)).extracting(event -> event.type().wire())
                .containsExactly("run_start", "step_start", "run_complete");
        assertThat(store.findRun(runId).orElseThrow().status()).isEqualTo(RunStatus.INTERRUPTED);
    }

    @Test
    void aRunThatHasEndedTakesNoFurtherEventEvenFromItsOwner() {
        UUID runId = queuedRun("a");
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart(), log.runComplete("success", 5, null)));

        assertThatThrownBy(() -> Commits.commit(store, List.of(log.stepLog("a", "after the end"))))
                .isInstanceOf(RunLostException.class).hasMessageContaining("ended success at seq 2");
        assertThatThrownBy(() -> Commits.commit(store, List.of(new Log(runId, 2).runComplete("failed", 6, "again"))))
                .isInstanceOf(RunLostException.class);
        assertThat(store.events(runId, 0, 100)).extracting(event -> event.type().wire())
                .containsExactly("run_start", "run_complete");
        assertThat(store.findRun(runId).orElseThrow().status()).isEqualTo(RunStatus.SUCCESS);
    }

    @Test
    void aBatchMustMoveTheRunsStatusAsTheRunStatusRuleAllows() {
        UUID queued = queuedRun("a");
        assertThatThrownBy(() -> Commits.commit(store, List.of(new Log(queued).runComplete("success", 1, null))))
                .as("a queued run cannot succeed without starting")
                .isNotInstanceOf(RunLostException.class)
                .hasMessageContaining("cannot follow its status queued");
        UUID cancelled = queuedRun("a");
        Commits.commit(store, List.of(new Log(cancelled).runComplete("cancelled", 0, "cancelled before it started")));
        assertThat(store.findRun(cancelled).orElseThrow().status()).isEqualTo(RunStatus.CANCELLED);

        UUID twice = queuedRun("a");
        Log log = new Log(twice);
        assertThatThrownBy(() -> Commits.commit(store, List.of(log.runStart(), log.runComplete("failed", 1, "x"),
                log.stepLog("a", "after its end in the same batch"))))
                .hasMessageContaining("a run that is failed takes no step_log");
        assertThat(store.events(twice, 0, 100)).as("nothing of a refused batch is stored").isEmpty();

        UUID backwards = queuedRun("a");
        assertThatThrownBy(() -> Commits.commit(store, List.of(new Log(backwards).runComplete("queued", 0, null))))
                .as("a bug's event, refused as wrong (not retried as if the database were down)")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no run can move to queued");
    }

    @Test
    void lastSeqsTellWhereEachRunsLogEnds() {
        UUID started = queuedRun("a");
        UUID queued = queuedRun("a");
        Log log = new Log(started);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("a", 1)));

        assertThat(store.lastSeqs(List.of(started, queued, UUID.randomUUID())))
                .containsOnly(java.util.Map.entry(started, 2L), java.util.Map.entry(queued, 0L));
        List<UUID> many = new ArrayList<>();
        for (int i = 0; i < 1_200; i++) {
            many.add(UUID.randomUUID());
        }
        many.add(started);
        assertThat(store.lastSeqs(many)).containsOnly(java.util.Map.entry(started, 2L));
        assertThat(store.countQueued()).isEqualTo(1);
    }

    // --- deleting runs -------------------------------------------------------------------

    /** A run of step "a" that set a variable, logged {@code lines} lines and ended {@code success}. */
    protected UUID finishedRun(int lines) {
        UUID runId = queuedRun("a");
        Log log = new Log(runId);
        List<RunEvent> batch = new ArrayList<>(List.of(log.runStart(), log.stepStart("a", 1), log.variable("x", "create", null, "1")));
        batch.addAll(log.logs("a", lines));
        batch.add(log.stepComplete("a", "success", 5, 1, null));
        batch.add(log.runComplete("success", 10, null));
        Commits.commit(store, batch);
        return runId;
    }

    @Test
    void aDeletedRunIsGoneAtOnceAndItsEventsGoAChunkAtATimeWhileOtherRunsStayWhole() {
        UUID deleted = finishedRun(20);
        UUID kept = finishedRun(20);
        RunDetail keptBefore = run(kept);
        int events = 3 + 20 + 2;

        assertThat(store.deleteRun(deleted)).as("it names the run's workflow").isEqualTo(new RunDeletion.Deleted("hello"));

        assertThat(store.findRun(deleted)).isEmpty();
        assertThat(store.findPosition(deleted)).isEmpty();
        assertThat(store.lastSeqs(List.of(deleted, kept))).containsOnlyKeys(kept);
        assertThat(store.listRuns(new RunQuery(null, null, null, 10, null)).runs()).extracting(RunSummary::runId)
                .containsExactly(kept);
        assertThat(store.pendingPurges(10)).containsExactly(deleted);
        assertThat(store.events(deleted, 0, 100)).as("left to the purge").hasSize(events);

        assertThat(store.purgeEvents(deleted, 10)).isEqualTo(10);
        assertThat(store.events(deleted, 0, 100)).extracting(RunEvent::seq).first().isEqualTo(11L);
        assertThat(store.purgeEvents(deleted)).isEqualTo(events - 10);
        assertThat(store.events(deleted, 0, 100)).isEmpty();
        assertThat(store.pendingPurges(10)).as("a purge ends once no event is left").isEmpty();
        assertThat(store.purgeEvents(deleted, 10)).isZero();

        assertThat(run(kept)).usingRecursiveComparison().isEqualTo(keptBefore);
        assertThat(store.events(kept, 0, 100)).hasSize(events);
        assertThat(store.deleteRun(deleted)).as("deleted already").isEqualTo(RunDeletion.NOT_FOUND);
        assertThat(store.deleteRun(UUID.randomUUID())).isEqualTo(RunDeletion.NOT_FOUND);
    }

    @Test
    void aDeletionIsLoggedForTheOtherNodesWhereThereMayBeSome() {
        Instant before = Instant.now().minusSeconds(1);
        UUID first = finishedRun(1);
        UUID second = finishedRun(1);
        UUID notDeleted = finishedRun(1);

        assertThat(store.deleteRun(second)).isInstanceOf(RunDeletion.Deleted.class);
        assertThat(store.deleteRun(first)).isInstanceOf(RunDeletion.Deleted.class);
        store.purgeEvents(first);

        if (sharedByNodes()) {
            assertThat(store.deletedRuns(before)).as("kept after the purge").containsExactlyInAnyOrder(
                    new DeletedRun(first, "hello"), new DeletedRun(second, "hello"));
            assertThat(store.deletedRuns(Instant.now().plusSeconds(5))).isEmpty();
        } else {
            assertThat(store.deletedRuns(Instant.EPOCH)).as("one node: nobody to tell").isEmpty();
        }
        assertThat(store.deletedRuns(Instant.EPOCH)).extracting(DeletedRun::runId).doesNotContain(notDeleted);
    }

    @Test
    void theSecretsVersionMovesOnWithEverySetAndDeletionAndNothingElse() {
        long start = store.secretsVersion();
        StoredSecret one = new StoredSecret("ONE", "k1", new byte[] {1, 2, 3}, T0);

        assertThat(store.putSecret(one)).isTrue();
        long created = store.secretsVersion();
        assertThat(created).isGreaterThan(start);
        assertThat(store.putSecret(new StoredSecret("ONE", "k1", new byte[] {4, 5, 6}, T0))).as("replaced").isFalse();
        long replaced = store.secretsVersion();
        assertThat(replaced).isGreaterThan(created);
        StoredSecret current = store.findSecret("ONE").orElseThrow();
        assertThat(store.replaceSecret(current, "k2", new byte[] {7, 8, 9})).as("sealed again: the same value").isTrue();
        assertThat(store.deleteSecret("NONE")).isFalse();
        assertThat(store.secretsVersion()).isEqualTo(replaced);
        assertThat(store.deleteSecret("ONE")).isTrue();
        assertThat(store.secretsVersion()).isGreaterThan(replaced);
        long deleted = store.secretsVersion();
        reopen();
        assertThat(store.secretsVersion()).as("another node's read, or a restart").isEqualTo(deleted);
    }

    @Test
    void aRunThatHasNotFinishedIsNotDeletedNorAreItsEventsPurged() {
        UUID waiting = waitingRun(); // first: it claims the oldest queued run
        store.decide(waiting, "gate", Json.object().put("approved", true).put("by", "ann"));
        UUID queued = queuedRun("a");
        UUID running = queuedRun("a");
        Log log = new Log(running);
        Commits.commit(store, List.of(log.runStart(), log.stepStart("a", 1)));

        assertThat(store.deleteRun(queued)).isEqualTo(new RunDeletion.NotFinished(RunStatus.QUEUED));
        assertThat(store.deleteRun(running)).isEqualTo(new RunDeletion.NotFinished(RunStatus.RUNNING));
        assertThat(store.deleteRun(waiting)).isEqualTo(new RunDeletion.NotFinished(RunStatus.WAITING));

        assertThat(store.purgeEvents(running, 10)).as("only a deleted run's events are purged").isZero();
        assertThat(store.events(running, 0, 10)).hasSize(2);
        assertThat(store.decisions(waiting)).containsOnlyKeys("gate");
        assertThat(store.lastSeqs(List.of(queued, running, waiting))).containsOnlyKeys(queued, running, waiting);
        assertThat(store.pendingPurges(10)).isEmpty();
    }

    @Test
    void aPurgeThatWasCutOffIsPendingUntilFinishedAfterAReopen() {
        UUID deleted = finishedRun(30);
        assertThat(store.deleteRun(deleted)).isInstanceOf(RunDeletion.Deleted.class);
        store.purgeEvents(deleted, 7); // then the process dies

        reopen();

        assertThat(store.pendingPurges(10)).containsExactly(deleted);
        assertThat(store.purgeEvents(deleted)).isEqualTo(3 + 30 + 2 - 7);
        assertThat(store.pendingPurges(10)).isEmpty();
    }

    // --- searching a run's events ---------------------------------------------------------

    /** Every page of a filtered read, followed through its {@code next}: the seqs found. */
    private List<Long> searchAll(UUID runId, int limit, EventFilter filter) {
        List<Long> seqs = new ArrayList<>();
        long after = 0;
        while (true) {
            EventPage page = store.events(runId, after, limit, Integer.MAX_VALUE, filter);
            assertThat(page.events()).hasSizeLessThanOrEqualTo(limit);
            page.events().forEach(e -> seqs.add(e.seq()));
            if (!page.more()) {
                return seqs;
            }
            assertThat(page.next()).as("a page moves on").isGreaterThan(after);
            after = page.next();
        }
    }

    private static EventFilter search(String text) {
        return new EventFilter(EnumSet.allOf(EventType.class), LogLevel.DEBUG, null, text);
    }

    @Test
    void aSearchFindsTheEventsWhoseMessageOrValuesContainTheTextIgnoringCase() {
        UUID runId = queuedRun("build", "test");
        Log log = new Log(runId);
        Commits.commit(store, List.of(
                log.runStart(),                                                    // 1: inputs {"who":"world"}
                log.stepStart("build", 1),                                          // 2
                log.stepLog("build", "Compiling 12 files"),                         // 3
                log.stepLog("build", "warn", "deprecated API in Main.java"),        // 4
                log.variable("artifact", "create", null, "\"build/Main.JAR\""),    // 5
                log.stepLog("build", "100% done_ok \"quoted\" back\\slash"),       // 6
                log.stepComplete("build", "success", 5, 1, null, "{\"jar\": \"MAIN.jar\"}"), // 7
                log.stepStart("test", 1),                                           // 8
                log.stepLog("test", "error", "Été: assertion failed in MainTest"),  // 9
                log.stepComplete("test", "failed", 5, 1, "exit code 1", null),      // 10
                log.runComplete("failed", 20, "step test failed: exit code 1")));   // 11

        assertThat(searchAll(runId, 100, search("main"))).as("message, value, output, any case").containsExactly(4L, 5L, 7L, 9L);
        assertThat(searchAll(runId, 100, search("WORLD"))).as("the run's inputs").containsExactly(1L);
        assertThat(searchAll(runId, 100, search("exit code"))).as("errors").containsExactly(10L, 11L);
        assertThat(searchAll(runId, 100, search("artifact"))).as("a variable's name").containsExactly(5L);
        assertThat(searchAll(runId, 100, search("ÉTÉ"))).as("letters outside ASCII, any case").containsExactly(9L);
        assertThat(searchAll(runId, 100, search("100% done_ok"))).as("% and _ are text").containsExactly(6L);
        assertThat(searchAll(runId, 100, search("0%"))).containsExactly(6L);
        assertThat(searchAll(runId, 100, search("\"quoted\" back\\slash"))).as("quotes and backslashes").containsExactly(6L);
        assertThat(searchAll(runId, 100, search("level"))).as("keys are not searched").isEmpty();
        assertThat(searchAll(runId, 100, search("stepId"))).isEmpty();
        assertThat(searchAll(runId, 100, search("nothing like it"))).isEmpty();
    }

    @Test
    void aSearchCombinesWithTypesStepsAndLevelAndPagesThroughLimit() {
        UUID runId = queuedRun("a", "b");
        Log log = new Log(runId);
        List<RunEvent> events = new ArrayList<>(List.of(log.runStart(), log.stepStart("a", 1), log.stepStart("b", 1)));
        for (int i = 0; i < 30; i++) {
            events.add(log.stepLog(i % 2 == 0 ? "a" : "b", i % 3 == 0 ? "warn" : "info", "tick " + i));
        }
        Commits.commit(store, events);

        EventFilter ticks = search("tick");
        assertThat(searchAll(runId, 7, ticks)).hasSize(30);
        EventPage first = store.events(runId, 0, 7, Integer.MAX_VALUE, ticks);
        assertThat(first.events()).extracting(RunEvent::seq).containsExactly(4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(first.next()).isEqualTo(10L);
        assertThat(store.events(runId, 10, 7, Integer.MAX_VALUE, ticks).events().getFirst().seq()).isEqualTo(11L);

        EventFilter warnsOfA = new EventFilter(EnumSet.of(EventType.STEP_LOG), LogLevel.WARN, Set.of("a"), "TICK");
        // i % 2 == 0 and i % 3 == 0: i = 0, 6, 12, 18, 24 at seq i + 4
        assertThat(searchAll(runId, 2, warnsOfA)).containsExactly(4L, 10L, 16L, 22L, 28L);
        EventFilter starts = new EventFilter(EnumSet.of(EventType.STEP_START), LogLevel.DEBUG, Set.of("b"), null);
        assertThat(searchAll(runId, 100, starts)).containsExactly(3L);
        assertThat(store.events(UUID.randomUUID(), 0, 10, Integer.MAX_VALUE, ticks)).isEqualTo(new EventPage(List.of(), -1, 0));
    }

    /**
     * A filtered read reads long lines a MiB of them at a time where the database hands a
     * statement's rows over at once (PostgreSQL): a read that stops at the MiB goes on from its
     * last row, so no line after it is skipped. The filters here are those the database cannot
     * narrow by (a level, a text outside ASCII), so every line is read.
     */
    @Test
    void aFilteredReadThroughLongLinesFindsEveryMatchAcrossItsShortReads() {
        UUID runId = queuedRun("wide");
        Log log = new Log(runId);
        List<RunEvent> events = new ArrayList<>(List.of(log.runStart(), log.stepStart("wide", 1)));
        String hay = "h".repeat(16_000);
        for (int i = 0; i < 300; i++) { // 4.8 MB: several reads of a MiB
            events.add(i % 70 == 69 ? log.stepLog("wide", "warn", "nÉedle " + i + " " + hay) : log.stepLog("wide", hay));
        }
        Commits.commit(store, events);

        // Lines 69, 139, 209, 279, at seqs 72, 142, 212, 282: one past each MiB or so.
        List<Long> needles = List.of(72L, 142L, 212L, 282L);
        assertThat(searchAll(runId, 10, search("NéEDLE"))).containsExactlyElementsOf(needles);
        EventFilter warnings = new EventFilter(EnumSet.of(EventType.STEP_LOG), LogLevel.WARN, null, null);
        assertThat(searchAll(runId, 10, warnings)).containsExactlyElementsOf(needles);
        assertThat(searchAll(runId, 1, warnings)).as("a page of one at a time").containsExactlyElementsOf(needles);
    }

    @Test
    void aRareMatchDeepInALongRunIsFoundByFollowingTheNextPages() {
        UUID runId = queuedRun("flood");
        Log log = new Log(runId);
        int count = EventSearch.WINDOW * 2 + 500;
        Commits.commit(store, List.of(log.runStart()));
        for (int from = 0; from < count; from += 10_000) {
            List<RunEvent> batch = new ArrayList<>();
            for (int i = from; i < Math.min(count, from + 10_000); i++) {
                batch.add(log.stepLog("flood", i == count - 3 ? "the needle" : "hay " + i));
            }
            Commits.commit(store, batch);
        }

        assertThat(searchAll(runId, 10, search("NEEDLE"))).containsExactly((long) count - 1);
        // Non-ASCII text is matched by the store's rule on SQLite too, where the database cannot narrow.
        assertThat(searchAll(runId, 10, search("ÿ"))).isEmpty();
    }
}
