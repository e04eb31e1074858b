package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LineDiffTest {

    @Test
    void equalSidesAreAllKept() {
        assertThat(render(LineDiff.diff(List.of("a", "b"), List.of("a", "b")))).containsExactly(" a", " b");
    }

    @Test
    void emptySidesAreAllAddedOrRemoved() {
        assertThat(render(LineDiff.diff(List.of(), List.of("x", "y")))).containsExactly("+x", "+y");
        assertThat(render(LineDiff.diff(List.of("x", "y"), List.of()))).containsExactly("-x", "-y");
        assertThat(LineDiff.diff(List.of(), List.of())).isEmpty();
    }

    @Test
    void aChangedLineIsRemovedThenAddedBetweenKeptOnes() {
        assertThat(render(LineDiff.diff(List.of("start", "n = 1", "end"), List.of("start", "n = 2", "end"))))
                .containsExactly(" start", "-n = 1", "+n = 2", " end");
    }

    @Test
    void theClassicExampleHasFiveChanges() {
        List<LineDiff.Line> diff = LineDiff.diff(chars("ABCABBA"), chars("CBABAC"));
        assertThat(diff.stream().filter(line -> line.op() != ' ')).hasSize(5);
        assertValid(chars("ABCABBA"), chars("CBABAC"), diff);
    }

    /** Against an LCS table: the diff rebuilds both sides and changes as few lines as can be. */
    @Test
    void randomSidesGetAShortestValidDiff() {
        Random random = new Random(42);
        for (int round = 0; round < 2_000; round++) {
            List<String> a = randomLines(random);
            List<String> b = randomLines(random);
            List<LineDiff.Line> diff = LineDiff.diff(a, b);
            assertValid(a, b, diff);
            long changes = diff.stream().filter(line -> line.op() != ' ').count();
            assertThat(changes).as("%s -> %s", a, b).isEqualTo(a.size() + b.size() - 2L * lcs(a, b));
        }
    }

    @Test
    void tenThousandLinesThatAllDifferAreDiffedInLinearSpace() {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            a.add("a" + i);
            b.add("b" + i);
        }
        List<LineDiff.Line> diff = LineDiff.diff(a, b);
        assertThat(diff).hasSize(20_000);
        assertValid(a, b, diff);
    }

    private static void assertValid(List<String> a, List<String> b, List<LineDiff.Line> diff) {
        assertThat(diff.stream().filter(line -> line.op() != '+').map(LineDiff.Line::text)).as("a").containsExactlyElementsOf(a);
        assertThat(diff.stream().filter(line -> line.op() != '-').map(LineDiff.Line::text)).as("b").containsExactlyElementsOf(b);
    }

    private static int lcs(List<String> a, List<String> b) {
        int[][] table = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                table[i][j] = a.get(i).equals(b.get(j)) ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
            }
        }
        return table[0][0];
    }

    private static List<String> randomLines(Random random) {
        List<String> lines = new ArrayList<>();
        int size = random.nextInt(12);
        for (int i = 0; i < size; i++) {
            lines.add(String.valueOf((char) ('a' + random.nextInt(4))));
        }
        return lines;
    }

    private static List<String> chars(String text) {
        return text.chars().mapToObj(c -> String.valueOf((char) c)).toList();
    }

    private static List<String> render(List<LineDiff.Line> diff) {
        return diff.stream().map(line -> line.op() + line.text()).toList();
    }
}
