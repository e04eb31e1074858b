package dev.stepstream.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A shortest line diff (Myers, "An O(ND) Difference Algorithm", in its linear-space form: each
 * step finds the middle snake of an optimal path and recurses on either side), so that memory
 * stays O(N + M) however different the two sides are; time is O((N + M) D). Lines are compared
 * as interned numbers, and a common head and tail are matched before any search. The callers
 * cap the input ({@link RunComparison#MAX_LINES}). Stateless.
 */
final class LineDiff {
    /** One line of the diff: kept ({@code ' '}), only in a ({@code '-'}), only in b ({@code '+'}). */
    record Line(char op, String text) {}

    private final int[] a;
    private final int[] b;
    private final List<String> aText;
    private final List<String> bText;
    private final List<Line> out = new ArrayList<>();
    /** Furthest x per diagonal k (at k + offset) of the forward and backward searches, reused by each call. */
    private final int[] forward;
    private final int[] backward;

    private LineDiff(List<String> aText, List<String> bText) {
        this.aText = aText;
        this.bText = bText;
        Map<String, Integer> ids = new HashMap<>();
        this.a = intern(aText, ids);
        this.b = intern(bText, ids);
        int size = a.length + b.length + 3;
        this.forward = new int[size];
        this.backward = new int[size];
    }

    /** The lines of a and b in order, each marked kept, removed or added, as few changed as can be. */
    static List<Line> diff(List<String> a, List<String> b) {
        LineDiff diff = new LineDiff(a, b);
        diff.compare(0, diff.a.length, 0, diff.b.length);
        return diff.out;
    }

    private static int[] intern(List<String> lines, Map<String, Integer> ids) {
        int[] numbers = new int[lines.size()];
        for (int i = 0; i < numbers.length; i++) {
            numbers[i] = ids.computeIfAbsent(lines.get(i), line -> ids.size());
        }
        return numbers;
    }

    private void compare(int aLo, int aHi, int bLo, int bHi) {
        while (aLo < aHi && bLo < bHi && a[aLo] == b[bLo]) {
            out.add(new Line(' ', aText.get(aLo)));
            aLo++;
            bLo++;
        }
        int tail = 0;
        while (aHi > aLo && bHi > bLo && a[aHi - 1] == b[bHi - 1]) {
            aHi--;
            bHi--;
            tail++;
        }
        if (aLo == aHi) {
            for (int j = bLo; j < bHi; j++) {
                out.add(new Line('+', bText.get(j)));
            }
        } else if (bLo == bHi) {
            for (int i = aLo; i < aHi; i++) {
                out.add(new Line('-', aText.get(i)));
            }
        } else {
            // Both sides differ at both ends, so the distance is at least 2 and the middle snake
            // splits it into two smaller ones: the recursion ends.
            int[] snake = middleSnake(aLo, aHi, bLo, bHi);
            compare(aLo, snake[0], bLo, snake[1]);
            for (int i = snake[0]; i < snake[2]; i++) {
                out.add(new Line(' ', aText.get(i)));
            }
            compare(snake[2], aHi, snake[3], bHi);
        }
        for (int i = aHi; i < aHi + tail; i++) {
            out.add(new Line(' ', aText.get(i)));
        }
    }

    /**
     * The middle snake of an optimal path from (aLo, bLo) to (aHi, bHi): {x1, y1, x2, y2}, absolute
     * indices, where a[x1..x2) equals b[y1..y2) (possibly empty).
     */
    private int[] middleSnake(int aLo, int aHi, int bLo, int bHi) {
        int n = aHi - aLo;
        int m = bHi - bLo;
        int delta = n - m;
        boolean odd = (delta & 1) != 0;
        int max = (n + m + 1) / 2;
        int offset = max + 1;
        forward[offset + 1] = 0;
        backward[offset + 1] = 0;
        for (int d = 0; d <= max; d++) {
            for (int k = -d; k <= d; k += 2) {
                int x = k == -d || (k != d && forward[offset + k - 1] < forward[offset + k + 1])
                        ? forward[offset + k + 1] : forward[offset + k - 1] + 1;
                int y = x - k;
                int x0 = x;
                int y0 = y;
                while (x < n && y < m && a[aLo + x] == b[bLo + y]) {
                    x++;
                    y++;
                }
                forward[offset + k] = x;
                int c = delta - k; // the same diagonal in the backward search's coordinates
                if (odd && c >= -(d - 1) && c <= d - 1 && x + backward[offset + c] >= n) {
                    return new int[] {aLo + x0, bLo + y0, aLo + x, bLo + y};
                }
            }
            for (int c = -d; c <= d; c += 2) {
                int x = c == -d || (c != d && backward[offset + c - 1] < backward[offset + c + 1])
                        ? backward[offset + c + 1] : backward[offset + c - 1] + 1;
                int y = x - c;
                int x0 = x;
                int y0 = y;
                while (x < n && y < m && a[aHi - 1 - x] == b[bHi - 1 - y]) {
                    x++;
                    y++;
                }
                backward[offset + c] = x;
                int k = delta - c;
                if (!odd && k >= -d && k <= d && x + forward[offset + k] >= n) {
                    return new int[] {aHi - x, bHi - y, aHi - x0, bHi - y0};
                }
            }
        }
        throw new IllegalStateException("no middle snake between " + n + " and " + m + " lines");
    }
}
