package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/**
 * The Vert.x internals the stream relies on are those of the Vert.x on the class path. When
 * Vert.x is upgraded, the version test fails first: read {@link VertxInternals} against the new
 * version (the handler names, the methods), run the stream tests, then move TESTED_WITH on.
 */
class VertxInternalsTest {
    @Test
    void theInternalsHoldForTheVertxOnTheClassPath() {
        assertThatCode(VertxInternals::check).doesNotThrowAnyException();
    }

    @Test
    void theVertxOnTheClassPathIsTheOneTheInternalsWereCheckedAgainst() {
        assertThat(VertxInternals.version()).startsWith(VertxInternals.TESTED_WITH + ".");
    }
}
