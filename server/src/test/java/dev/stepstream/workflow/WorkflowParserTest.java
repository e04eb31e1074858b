package dev.stepstream.workflow;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(30)
class WorkflowParserTest {

    @Test
    void yamlBecomesAJsonTreeInDocumentOrder() throws Exception {
        JsonNode doc = yaml("""
                id: hello
                steps:
                  - id: greet
                    type: log
                    message: "Hello ${inputs.who}"
                """);
        assertThat(doc.toString()).isEqualTo(
                "{\"id\":\"hello\",\"steps\":[{\"id\":\"greet\",\"type\":\"log\",\"message\":\"Hello ${inputs.who}\"}]}");
    }

    @Test
    void plainScalarsAreTypedByYaml12() throws Exception {
        JsonNode doc = yaml("""
                int: 12
                negative: -3
                big: 12345678901234567890
                hex: 0x1F
                octal: 0o17
                leadingZero: 012
                decimal: 1.50
                exponent: 2.5e-3
                yes: yes
                country: NO
                on: off
                t: true
                f: False
                empty:
                tilde: ~
                quoted: "12"
                single: 'true'
                date: 2026-11-26
                time: 12:30
                underscore: 1_000
                str: !!str 42
                """);
        assertThat(doc.toString()).isEqualTo("{\"int\":12,\"negative\":-3,\"big\":12345678901234567890,\"hex\":31,"
                + "\"octal\":15,\"leadingZero\":12,\"decimal\":1.50,\"exponent\":0.0025,\"yes\":\"yes\","
                + "\"country\":\"NO\",\"on\":\"off\",\"t\":true,\"f\":false,\"empty\":null,\"tilde\":null,"
                + "\"quoted\":\"12\",\"single\":\"true\",\"date\":\"2026-11-26\",\"time\":\"12:30\","
                + "\"underscore\":\"1_000\",\"str\":\"42\"}");
    }

    @Test
    void anchorsAliasesAndMergeKeysAreExpanded() throws Exception {
        JsonNode doc = yaml("""
                defaults: &retry {attempts: 3, delay: 1s}
                name: &name Greeter
                steps:
                  - {id: a, retry: *retry, title: *name}
                  - id: b
                    <<: {type: log, level: info}
                    level: warn
                  - id: c
                    <<: [*retry, {delay: 5s, extra: 1}]
                """);
        assertThat(doc.at("/steps/0/retry").toString()).isEqualTo("{\"attempts\":3,\"delay\":\"1s\"}");
        assertThat(doc.at("/steps/0/title").asText()).isEqualTo("Greeter");
        assertThat(doc.at("/steps/1").toString()).isEqualTo("{\"id\":\"b\",\"level\":\"warn\",\"type\":\"log\"}");
        assertThat(doc.at("/steps/2").toString()).isEqualTo("{\"id\":\"c\",\"attempts\":3,\"delay\":\"1s\",\"extra\":1}");
        assertThat(doc.at("/steps/0/retry")).isNotSameAs(doc.get("defaults"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "key: value\\n  bad: indent\\n        | mapping values are not allowed here | 2 | 6",
        "a: b: c                              | mapping values are not allowed here | 1 | 5",
        "a: [1, 2\\n                          | expected ',' or ']', but got <stream end> (while parsing a flow sequence started at line 1, column 4) | 2 | 1",
        "a: 'open\\n                          | found unexpected end of stream (while scanning a quoted scalar started at line 1, column 4) | 2 | 1",
        "a:\\tb                               | found character '\\t(TAB)' that cannot start any token. (Do not use \\t(TAB) for indentation) | 1 | 3",
        "a: 1\\na: 2                          | duplicate key \"a\" | 2 | 1",
        "steps:\\n  - id: x\\n    id: y       | duplicate key \"id\" | 3 | 5",
        "a: 1\\n---\\nb: 2                    | expected one document, found several (a second ---) | 2 | 1",
        "? [a]\\n: 1                          | a mapping key must be a plain value (not a list, a mapping or an alias) | 1 | 3",
        "a: .inf                              | \".inf\" is not a number JSON can hold | 1 | 4",
        "a: !!int x                           | \"x\" is not a valid !!int | 1 | 4",
        "a: *nowhere                          | alias *nowhere has no anchor &nowhere before it | 1 | 4",
        "a: &self [*self]                     | alias *self refers to a node that contains it | 1 | 11",
        "a: 1\\nb: x\\u0001                   | character U+0001 is not allowed in YAML | 2 | 5",
    })
    void yamlSyntaxErrorsSayWhatAndWhere(String source, String message, int line, int column) {
        String text = source.strip().replace("\\n", "\n").replace("\\t", "\t").replace("\\u0001", "\u0001");
        assertThatThrownBy(() -> yaml(text))
                .isInstanceOfSatisfying(SyntaxException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(message);
                    assertThat(e.line()).as("line").isEqualTo(line);
                    assertThat(e.column()).as("column").isEqualTo(column);
                });
    }

    @Test
    void anEmptyDocumentIsASyntaxError() {
        for (String empty : new String[] {"", "\n\n", "# just a comment\n", "---\n", "~\n"}) {
            assertThatThrownBy(() -> yaml(empty)).as(empty)
                    .isInstanceOfSatisfying(SyntaxException.class, e -> {
                        assertThat(e.getMessage()).isEqualTo("empty document");
                        assertThat(e.line()).isEqualTo(1);
                        assertThat(e.column()).isEqualTo(1);
                    });
        }
        assertThatThrownBy(() -> WorkflowParser.parse(" \n".getBytes(UTF_8), true)).hasMessage("empty document");
        assertThatThrownBy(() -> WorkflowParser.parse(new byte[0], true)).hasMessage("empty document");
    }

    @Test
    void theBillionLaughsFailAtOnce() {
        StringBuilder bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'i'; c++) {
            bomb.append(c).append(": &").append(c).append(" [");
            for (int i = 0; i < 9; i++) {
                bomb.append(i == 0 ? "*" : ",*").append((char) (c - 1));
            }
            bomb.append("]\n");
        }
        long start = System.nanoTime();
        assertThatThrownBy(() -> yaml(bomb.toString()))
                .isInstanceOf(SyntaxException.class)
                .hasMessage("aliases expand to more than 1000000 nodes and characters");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aliasesAreLimitedInNumberAndDepth() {
        String many = "a: &a 1\nlist: [" + "*a, ".repeat(WorkflowParser.MAX_ALIASES) + "*a]\n";
        assertThatThrownBy(() -> yaml(many)).hasMessage("more than 50 aliases");
        String deep = "a: &a " + "[".repeat(60) + "]".repeat(60) + "\nb: " + "[".repeat(50) + "*a" + "]".repeat(50) + "\n";
        assertThatThrownBy(() -> yaml(deep)).hasMessage("alias *a nests the document more than 100 levels deep");
    }

    @Test
    void nestingDeeperThanAHundredLevelsIsRefused() throws Exception {
        assertThat(yaml("a: " + "[".repeat(99) + "]".repeat(99)).at("/a").isArray()).isTrue();
        assertThatThrownBy(() -> yaml("a: " + "[".repeat(150) + "]".repeat(150)))
                .isInstanceOfSatisfying(SyntaxException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("nested more than 100 levels deep");
                    assertThat(e.line()).isEqualTo(1);
                });
    }

    @Test
    void aDocumentOverTwoMebibytesIsRefusedBeforeParsing() {
        byte[] big = ("a: \"" + "x".repeat(WorkflowParser.MAX_BYTES) + "\"\n").getBytes(UTF_8);
        long start = System.nanoTime();
        assertThatThrownBy(() -> WorkflowParser.parse(big, false)).hasMessage("the document is larger than 2 MiB");
        assertThatThrownBy(() -> WorkflowParser.parse(big, true)).hasMessage("the document is larger than 2 MiB");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void invalidUtf8IsASyntaxError() {
        assertThatThrownBy(() -> WorkflowParser.parse(new byte[] {'a', ':', ' ', (byte) 0xff, (byte) 0xfe}, false))
                .hasMessage("the document is not valid UTF-8");
    }

    @Test
    void jsonIsParsedStrictly() throws Exception {
        assertThat(json("{\"id\": \"hello\", \"n\": 1.50}").toString()).isEqualTo("{\"id\":\"hello\",\"n\":1.50}");
        assertSyntax(() -> json("{\"id\": \"a\", \"id\": \"b\"}"), "duplicate key \"id\"", 1, 17);
        assertSyntax(() -> json("{\"id\": \"a\"} {}"), "unexpected content after the document", 1, 13);
        assertSyntax(() -> json("{\"id\": }"), "unexpected character ('}' (code 125)): expected a value", 1, 8);
        assertSyntax(() -> json("{\n  \"id\": \"a\",\n"), "unexpected end-of-input within/between Object entries", 3, 1);
        assertSyntax(() -> json("// hi\n{}"), "unexpected character ('/' (code 47)): maybe a (non-standard) comment?", 1, 1);
        assertSyntax(() -> json("id: hello"), "unrecognized token 'id': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", 1, 1);
    }

    @Test
    void jsonMessagesCarryNoSourceExcerpt() {
        assertThatThrownBy(() -> json("{\"a\": [1, 2}"))
                .isInstanceOf(SyntaxException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Source", "REDACTED", "com.fasterxml", "`"));
    }

    private static void assertSyntax(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message,
                                     int line, int column) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SyntaxException.class, e -> {
            assertThat(e.getMessage()).isEqualTo(message);
            assertThat(e.line()).as("line").isEqualTo(line);
            assertThat(e.column()).as("column").isEqualTo(column);
        });
    }

    static JsonNode yaml(String text) throws SyntaxException {
        return WorkflowParser.parse(text.getBytes(UTF_8), false);
    }

    private static JsonNode json(String text) throws SyntaxException {
        return WorkflowParser.parse(text.getBytes(UTF_8), true);
    }
}
