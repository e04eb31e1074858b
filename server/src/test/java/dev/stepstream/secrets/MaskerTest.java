package dev.stepstream.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class MaskerTest {

    private static Masker withSecrets(int count) {
        Masker masker = new Masker();
        for (int i = 0; i < count; i++) {
            masker.add("secret-value-" + i + "-x7Qz");
        }
        return masker;
    }

    @Test
    void everyFormOfAnyOfManySecretsIsMaskedWhereverItStands() {
        Masker masker = withSecrets(100);
        String value = "secret-value-57-x7Qz";
        String base64 = Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));

        assertThat(masker.mask(value)).isEqualTo("***");
        assertThat(masker.mask("token=" + value + ";")).isEqualTo("token=***;");
        assertThat(masker.mask("auth " + base64)).isEqualTo("auth ***");
        assertThat(masker.mask("a secret-value-3-x7Qz and secret-value-99-x7Qz"))
                .isEqualTo("a *** and ***");
    }

    @Test
    void textWithoutAnySecretComesBackAsItWas() {
        Masker masker = withSecrets(100);
        String line = "line 123456 of the build: secret-value- is only a prefix, x7Qz only a suffix";

        assertThat(masker.mask(line)).isSameAs(line);
        assertThat(masker.mask("")).isEmpty();
        assertThat(masker.mask("s")).isEqualTo("s");
    }

    @Test
    void aLongerFormHoldingAShorterOneIsMaskedWhole() {
        Masker masker = new Masker();
        masker.add("abcd");
        masker.add("xxabcdxx");

        assertThat(masker.mask("[xxabcdxx] [abcd]")).isEqualTo("[***] [***]");
    }
}
