package dev.stepstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The deletion notice across versions: nodes of a rolling upgrade read each other's. */
class MessagesTest {
    final UUID runId = UUID.randomUUID();

    @Test
    void aDeletionNoticeCarriesTheRunsWorkflow() {
        Messages.Message message = Messages.decode(Messages.deleted("node-a", runId, "nightly"));

        assertThat(message.kind()).isEqualTo('X');
        assertThat(message.origin()).isEqualTo("node-a");
        assertThat(message.fields()[0]).isEqualTo(runId.toString());
        assertThat(Messages.deletedWorkflow(message.fields())).isEqualTo("nightly");
    }

    @Test
    void aDeletionNoticeOfAnEarlierVersionNamesTheRunAlone() {
        Messages.Message message = Messages.decode(("X node-a\n" + runId).getBytes(StandardCharsets.UTF_8));

        assertThat(message.fields()).containsExactly(runId.toString());
        assertThat(Messages.deletedWorkflow(message.fields())).isNull();
    }
}
