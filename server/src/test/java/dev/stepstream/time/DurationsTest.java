package dev.stepstream.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "250ms, PT0.25S",
        "2s, PT2S",
        "1.5s, PT1.5S",
        "1m, PT1M",
        "1h, PT1H",
        "1m30s, PT1M30S",
        "1h2m3s, PT1H2M3S",
        "1h5s, PT1H5S",
        "0s, PT0S",
        "0.5ms, PT0.0005S",
        "90m, PT1H30M",
        "90d, PT2160H",
        "1d12h, PT36H",
        "0.5d, PT12H",
    })
    void readsTheUnitsAuthorsWrite(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "s", "1.s", "-1s", "1 s", "1D", "1h1d", "2sec", "1s1m", "1m1m", "1.5.5s", "ms", "1S",
        "99999999999999999999999h", "${inputs.delay}"})
    void refusesAnythingElseWithTheMessageUsersSee(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected a duration like 250ms, 2s or 1m, got \"" + text + "\"");
    }

    @ParameterizedTest
    @CsvSource({
        "PT0.25S, 250ms",
        "PT1.5S, 1.5s",
        "PT2S, 2s",
        "PT1M30S, 1m30s",
        "PT1H, 1h",
        "PT1H0.5S, 1h0.5s",
        "PT0S, 0s",
        "PT0.0005S, 0.5ms",
        "PT2160H, 90d",
        "PT36H, 1d12h",
    })
    void formatsTheWayItParses(Duration duration, String expected) {
        assertThat(Durations.format(duration)).isEqualTo(expected);
        assertThat(Durations.parse(expected)).isEqualTo(duration);
    }
}
