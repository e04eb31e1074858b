package dev.stepstream.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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

    @Test
    void timesMatchTheWireFormatAtEveryMillisecondAndAtTheEdgesOfFourDigitYears() {
        DateTimeFormatter wire = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
        List<Instant> instants = new ArrayList<>(List.of(Instant.EPOCH, Instant.parse("1969-12-31T23:59:59.999Z"),
                Instant.parse("2000-02-29T23:59:59.999Z"), Instant.parse("9999-12-31T23:59:59.999Z"),
                Instant.parse("+10000-01-01T00:00:00.001Z"), Instant.parse("0001-01-01T00:00:00Z"),
                Instant.parse("2026-11-26T10:30:45.123456789Z")));
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            instants.add(Instant.ofEpochMilli(random.nextLong(0, 4_102_444_800_000L)));
            instants.add(Instant.parse("2026-11-26T10:30:45.123Z").plusMillis(i)); // many in one second, as a flood has them
        }
        for (Instant instant : instants) {
            assertThat(Json.time(instant)).as(instant.toString()).isEqualTo(wire.format(instant));
        }
    }
}
