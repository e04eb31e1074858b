package dev.stepstream.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.Workflow;
import dev.stepstream.workflow.WorkflowValidator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ValidatedWorkflowsTest {
    private final ValidatedWorkflows validated = new ValidatedWorkflows(new WorkflowValidator(false));

    private static byte[] definition(String message) {
        return ("{\"id\":\"w\",\"steps\":[{\"id\":\"a\",\"type\":\"log\",\"message\":\"" + message + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void runsOfOneDefinitionShareOneValidatedWorkflow() throws InvalidException {
        Workflow first = validated.of("w", definition("hello"));
        Workflow again = validated.of("w", definition("hello")); // equal bytes, another array

        assertThat(again).isSameAs(first);
        assertThat(first.steps()).hasSize(1);
    }

    @Test
    void anotherDefinitionIsValidatedOnItsOwn() throws InvalidException {
        Workflow hello = validated.of("w", definition("hello"));
        Workflow bye = validated.of("w", definition("bye"));

        assertThat(bye).isNotSameAs(hello);
        assertThat(bye.definition().path("steps").get(0).path("message").asText()).isEqualTo("bye");
    }

    @Test
    void aDefinitionThatIsNotValidIsRefusedEachTime() {
        byte[] script = "{\"id\":\"w\",\"steps\":[{\"id\":\"a\",\"type\":\"script\",\"run\":\"true\"}]}"
                .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> validated.of("w", script)).isInstanceOf(InvalidException.class);
        assertThatThrownBy(() -> validated.of("w", script)).isInstanceOf(InvalidException.class);
    }

    @Test
    void aLargeDefinitionIsValidatedEachTimeRatherThanKept() throws InvalidException {
        String large = "x".repeat(ValidatedWorkflows.MAX_KEPT_BYTES);
        Workflow first = validated.of("w", definition(large));
        Workflow again = validated.of("w", definition(large));

        assertThat(again).isNotSameAs(first);
        assertThat(again.definition().path("steps").get(0).path("message").asText()).isEqualTo(large);
    }

    @Test
    void pastItsBoundItStartsAgainAndStillAnswers() throws InvalidException {
        for (int i = 0; i <= ValidatedWorkflows.MAX + 10; i++) {
            assertThat(validated.of("w", definition("m" + i)).definition().path("steps").get(0).path("message").asText())
                    .isEqualTo("m" + i);
        }
    }
}
