package dev.stepstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Text from a run made safe for a terminal: what is kept, removed and shown, with colour and without. */
class SafeTextTest {
    private static final String NL = "\n    ";

    private static String colour(String text) {
        return SafeText.sanitise(text, true, NL);
    }

    private static String plain(String text) {
        return SafeText.sanitise(text, false, NL);
    }

    @Test
    void textWithoutControlsIsLeftAsItIsTabsIncluded() {
        String text = "héllo\twörld ✔ 日本 \\e[31m";
        assertThat(colour(text)).isEqualTo(text);
        assertThat(plain(text)).isEqualTo(text);
    }

    @Test
    void withColourSgrSequencesAreKeptAsTheyAre() {
        for (String text : new String[] {
            "\u001b[31mred\u001b[0m", "\u001b[1;4mbold underlined\u001b[m", "\u001b[38;5;196mcolour 196\u001b[0m",
            "\u001b[38;2;255;128;0morange\u001b[0m", "\u001b[48;5;21;97mon blue\u001b[0m", "\u001b[48;2;0;0;255mblue\u001b[49m\u001b[0m",
            "\u001b[90mbright black\u001b[39m and \u001b[2mdim\u001b[22m\u001b[0m",
        }) {
            assertThat(colour(text)).as(text).isEqualTo(text);
        }
    }

    @Test
    void withColourALineThatLeavesAttributesOnIsEndedWithAReset() {
        assertThat(colour("\u001b[1;31mred")).isEqualTo("\u001b[1;31mred\u001b[0m");
        assertThat(colour("\u001b[0;31mred")).isEqualTo("\u001b[0;31mred\u001b[0m");
        assertThat(colour("\u001b[38;5;0mblack")).as("0 here is a colour, not a reset").isEqualTo("\u001b[38;5;0mblack\u001b[0m");
        assertThat(colour("\u001b[38;2;0;0;0mblack")).isEqualTo("\u001b[38;2;0;0;0mblack\u001b[0m");
        assertThat(colour("\u001b[31;0mplain")).as("ends reset").isEqualTo("\u001b[31;0mplain");
        assertThat(colour("\u001b[31mred\u001b[mplain")).isEqualTo("\u001b[31mred\u001b[mplain");
        assertThat(colour("\u001b[31mred\nmore")).as("each line ends plain")
                .isEqualTo("\u001b[31mred\u001b[0m" + NL + "more");
    }

    @Test
    void withColourEveryOtherSequenceIsShownNotInterpreted() {
        assertThat(colour("\u001b]0;pwned\u0007after")).as("OSC title").isEqualTo("␛]0;pwned␇after");
        assertThat(colour("\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\")).as("OSC 8 hyperlink")
                .isEqualTo("␛]8;;http://evil␛\\link␛]8;;␛\\");
        assertThat(colour("\u001b[2J\u001b[H\u001b[3;1H\u001b[K")).as("erase and cursor moves").isEqualTo("␛[2J␛[H␛[3;1H␛[K");
        assertThat(colour("\u001b[?1049h\u001b[?25l")).as("DEC private modes").isEqualTo("␛[?1049h␛[?25l");
        assertThat(colour("\u001bc\u001b7\u001b8\u001b(0\u001bM")).as("reset, save, restore, charset, reverse index")
                .isEqualTo("␛c␛7␛8␛(0␛M");
        assertThat(colour("\u001bP+q544e\u001b\\")).as("DCS").isEqualTo("␛P+q544e␛\\");
        assertThat(colour("\u001b[38:5:196mx")).as("SGR with colons: not the plain form").isEqualTo("␛[38:5:196mx");
        assertThat(colour("\u001b[>4;2m")).as("a private m, not SGR").isEqualTo("␛[>4;2m");
    }

    @Test
    void eightBitControlsAreShownAsTheirSevenBitEquivalents() {
        assertThat(colour("\u009b2J")).isEqualTo("␛[2J");
        assertThat(colour("\u009b31mnot kept")).isEqualTo("␛[31mnot kept");
        assertThat(colour("\u009d0;t\u009c")).isEqualTo("␛]0;t␛\\");
        assertThat(colour("a\u0085b")).as("NEL").isEqualTo("a␛Eb");
        assertThat(plain("a\u0085b")).isEqualTo("a␛Eb");
    }

    @Test
    void controlCharactersAreShownAsControlPictures() {
        String text = "a\rb\u0007c\bd\u0000e\u007ff\u000bg\u000ch\u001b\u0001";
        assertThat(colour(text)).isEqualTo("a␍b␇c␈d␀e␡f␋g␌h␛␁");
        assertThat(plain(text)).as("an ESC that starts no sequence").isEqualTo("a␍b␇c␈d␀e␡f␋g␌h␛␁");
    }

    @Test
    void aLineFeedOrCrLfBecomesTheNewlineGiven() {
        assertThat(colour("one\ntwo\r\nthree")).isEqualTo("one" + NL + "two" + NL + "three");
        assertThat(SafeText.sanitise("one\ntwo", false, "⏎")).isEqualTo("one⏎two");
    }

    @Test
    void withoutColourEveryWellFormedSequenceIsRemovedSgrIncluded() {
        assertThat(plain("\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u001b[0m")).isEqualTo("red");
        assertThat(plain("\u001b[1;38;5;196mbold\u001b[m \u001b[38;2;1;2;3mrgb\u001b[0m")).isEqualTo("bold rgb");
        assertThat(plain("\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\")).isEqualTo("link");
        assertThat(plain("a\u001b[?1049hb\u001bcc\u001b(Bd\u001bP+q\u001b\\e")).isEqualTo("abcde");
        assertThat(plain("a\u009b2Jb\u009d0;t\u0007c\u009b38:5:1md")).isEqualTo("abcd");
    }

    @Test
    void withoutColourASequenceThatIsNotWellFormedIsShownNotRemoved() {
        assertThat(plain("end\u001b")).isEqualTo("end␛");
        assertThat(plain("\u001b]0;a title with no end")).isEqualTo("␛]0;a title with no end");
        assertThat(plain("\u001b[31\nnext")).isEqualTo("␛[31" + NL + "next");
        assertThat(plain("\u001b[3é")).isEqualTo("␛[3é");
    }

    @Test
    void theOutputNeverHoldsAControlButTabsNewlinesAndWithColourSgr() {
        Pattern sgr = Pattern.compile("\u001b\\[[0-9;]*m");
        char[] alphabet = "\u001b\u001b\u001b[[]];;0123m mJH?h\u0007\u0008\r\n\t\\P_^X(7c\u009b\u009c\u009d\u0085\u0090\u007f\u0000é".toCharArray();
        Random random = new Random(42);
        for (int round = 0; round < 20_000; round++) {
            StringBuilder text = new StringBuilder();
            for (int k = random.nextInt(24); k > 0; k--) {
                text.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String plain = SafeText.sanitise(text.toString(), false, "\n");
            assertThat(plain.chars().filter(c -> c != '\n' && c != '\t').noneMatch(c -> SafeText.isControl((char) c)))
                    .as("plain %s", text).isTrue();
            String coloured = sgr.matcher(SafeText.sanitise(text.toString(), true, "\n")).replaceAll("");
            assertThat(coloured.chars().filter(c -> c != '\n' && c != '\t').noneMatch(c -> SafeText.isControl((char) c)))
                    .as("colour %s", text).isTrue();
        }
    }
}
