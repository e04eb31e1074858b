package dev.stepstream.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
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

    /** Two secrets sharing characters: masked as one span, so no part of either shows. */
    @Test
    void overlappingSecretsAreMaskedAsOneSpan() {
        Masker masker = new Masker();
        masker.add("zqxabcdef");
        masker.add("cdefwvyu");

        assertThat(masker.mask("x zqxabcdefwvyu x | cdefwvyuzqxabcdef")).isEqualTo("x *** x | ******");
        assertThat(masker.mask("zqxabcdefwvyuzqxabcdef")).as("a chain of overlaps").isEqualTo("******");
        assertThat(masker.mask("zqxabcdefwvyu")).isEqualTo("***");
    }

    /** Each as Python 3, Java and Node print it (urllib.parse, java.net.URLEncoder, encodeURIComponent), and in lower-case hex. */
    @Test
    void theUrlEncodingsOfCommonEncodersAreMaskedInUpperAndLowerCaseHex() {
        Masker masker = new Masker();
        masker.add("a/b c~d*e'f");

        for (String encoded : List.of(
                "a/b%20c~d%2Ae%27f",     // quote(v)
                "a%2Fb%20c~d%2Ae%27f",   // quote(v, safe="")
                "a%2Fb+c~d%2Ae%27f",     // quote_plus(v)
                "a%2Fb+c%7Ed*e%27f",     // URLEncoder.encode(v, UTF_8)
                "a%2Fb%20c%7Ed*e%27f",   // the same, + made %20
                "a%2Fb%20c~d*e'f")) {    // encodeURIComponent(v)
            assertThat(masker.mask("[" + encoded + "]")).as(encoded).isEqualTo("[***]");
            String lower = java.util.regex.Pattern.compile("%[0-9A-F]{2}").matcher(encoded)
                    .replaceAll(hex -> hex.group().toLowerCase(java.util.Locale.ROOT));
            assertThat(masker.mask("[" + lower + "]")).as(lower).isEqualTo("[***]");
        }
    }

    @Test
    void aValueHasABoundedNumberOfForms() {
        assertThat(Masker.forms("pa\"ss\\w0rd with/odd+chars=\u00fc~*'()")).hasSizeLessThanOrEqualTo(23);
        assertThat(Masker.forms("plain-token_123")).as("its own URL forms; base64 with and without padding")
                .containsExactlyInAnyOrder("plain-token_123", "cGxhaW4tdG9rZW5fMTIz");
    }

    @Test
    void aRunsMaskerMasksTheSecretsDefinedAtTheMomentAndWhatItReadEvenOnceDeleted() {
        java.util.concurrent.atomic.AtomicReference<Masker.Forms> defined = new java.util.concurrent.atomic.AtomicReference<>(
                Masker.Forms.of(List.of("defined-one")));
        Masker masker = new Masker(defined::get);
        assertThat(masker.mask("defined-one read-one")).isEqualTo("*** read-one");

        masker.add("read-one");
        assertThat(masker.mask("defined-one read-one")).isEqualTo("*** ***");
        defined.set(Masker.Forms.of(List.of("defined-two")));
        assertThat(masker.mask("defined-one read-one defined-two")).as("one deleted, one set since")
                .isEqualTo("defined-one *** ***");
        defined.set(Masker.Forms.NONE);
        assertThat(masker.mask("read-one defined-two")).isEqualTo("*** defined-two");
    }

    @Test
    void withNothingDefinedNorReadTextComesBackAsItWasAndATreeIsNotWalked() {
        Masker masker = new Masker(() -> Masker.Forms.NONE);
        String line = "any line at all";
        com.fasterxml.jackson.databind.node.ObjectNode tree = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("field", line);

        assertThat(masker.isEmpty()).isTrue();
        assertThat(masker.mask(line)).isSameAs(line);
        masker.maskInPlace(tree);
        assertThat(tree.get("field").textValue()).isSameAs(line);
    }
}
