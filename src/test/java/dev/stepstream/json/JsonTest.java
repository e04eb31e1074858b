package dev.stepstream.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void decimalsRoundTripAsWritten() throws Exception {
        assertThat(Json.text(Json.MAPPER.readTree("{\"a\": 100.0, \"b\": 0.1, \"c\": 12}"))).isEqualTo("{\"a\":100.0,\"b\":0.1,\"c\":12}");
    }

    @Test
    void timesAlwaysHaveThreeDigitsOfMilliseconds() {
        assertThat(Json.time(Instant.parse("2026-11-26T10:30:45Z"))).isEqualTo("2026-11-26T10:30:45.000Z");
        assertThat(Json.time(Instant.parse("2026-11-26T10:30:45.123456Z"))).isEqualTo("2026-11-26T10:30:45.123Z");
    }
}
