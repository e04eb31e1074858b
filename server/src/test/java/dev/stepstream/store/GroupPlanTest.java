package dev.stepstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.store.GroupPlan.GroupRow;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a claim does with one key's runs; the store contract tests it against both databases too. */
class GroupPlanTest {
    private long clock;

    private GroupRow running(String id) {
        return new GroupRow(id, "running", "node-a", false, false, ++clock, 1, "queue");
    }

    private GroupRow queued(String id, int limit, String onLimit) {
        return new GroupRow(id, "queued", null, false, false, ++clock, limit, onLimit);
    }

    private static List<String> ids(List<GroupRow> rows) {
        return rows.stream().map(GroupRow::runId).toList();
    }

    @Test
    void runsStartUpToTheLimitAndTheNodesFreeSlotsAndARunWithRoomButNoSlotHereKeepsItsSlot() {
        List<GroupRow> rows = List.of(running("r"), queued("q1", 3, "queue"), queued("q2", 3, "queue"),
                queued("s3", 3, "skip"));

        GroupPlan plan = GroupPlan.of(rows, 1);

        assertThat(ids(plan.start())).containsExactly("q1");
        assertThat(ids(plan.end())).as("q2 keeps the last slot for a node that has a free one").containsExactly("s3");
        assertThat(plan.heldBack()).as("nothing waits for the limit").isFalse();
    }

    @Test
    void noRunStartsWhileAnOlderRunOfItsKeyWaits() {
        List<GroupRow> rows = List.of(running("r"), queued("low", 1, "queue"), queued("high", 5, "queue"),
                queued("skip-with-room", 5, "skip"));

        GroupPlan plan = GroupPlan.of(rows, 10);

        assertThat(plan.start()).isEmpty();
        assertThat(plan.end()).as("a skip run under its own limit waits its turn").isEmpty();
        assertThat(plan.heldBack()).isTrue();
    }

    @Test
    void aRunClaimedToBeEndedHoldsNoSlotAndACancelledQueuedRunIsEnded() {
        GroupRow ending = new GroupRow("ending", "queued", "node-b", true, false, ++clock, 1, "skip");
        GroupRow cancelled = new GroupRow("cancelled", "queued", null, false, true, ++clock, 1, "queue");

        GroupPlan plan = GroupPlan.of(List.of(ending, cancelled, queued("next", 1, "queue")), 1);

        assertThat(ids(plan.start())).containsExactly("next");
        assertThat(ids(plan.end())).containsExactly("cancelled");
    }

    @Test
    void eachWaitingCancelRunningRunCancelsOneHolderCountingThoseAlreadyLeaving() {
        GroupRow leaving = new GroupRow("leaving", "running", "node-a", false, true, ++clock, 2, "cancel-running");
        List<GroupRow> rows = List.of(leaving, running("oldest"), running("newer"), queued("c1", 2, "cancel-running"),
                queued("c2", 2, "cancel-running"), queued("c3", 2, "cancel-running"), queued("c4", 2, "cancel-running"));

        GroupPlan plan = GroupPlan.of(rows, 10);

        assertThat(plan.start()).as("three hold the two slots").isEmpty();
        assertThat(ids(plan.cancel())).as("c1 takes the leaving run's slot; c2 and c3 cancel one each; c4 finds none left")
                .containsExactly("oldest", "newer");
        assertThat(plan.heldBack()).isTrue();
    }
}
