package dev.stepstream.execution.steps;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.execution.StepFailedException;
import dev.stepstream.files.PrivateFiles;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A script step's {@code $STEPSTREAM_OUTPUT}: a file, readable by its owner alone, in which the
 * script writes its outputs as GitHub Actions' {@code $GITHUB_OUTPUT} takes them: lines
 * {@code name=value}, and {@code name<<END}, then the value's lines, then {@code END}. Read
 * once the script has ended; a file over {@value #MAX_BYTES} bytes fails the step unread.
 * Owned by one attempt.
 */
final class OutputFile implements AutoCloseable {
    static final int MAX_BYTES = 1024 * 1024;
    static final int MAX_OUTPUTS = 100;
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

    private final Path path;

    private OutputFile(Path path) {
        this.path = path;
    }

    static OutputFile create() throws StepFailedException {
        try {
            return new OutputFile(PrivateFiles.createTempFile("stepstream-output-"));
        } catch (IOException e) {
            throw new StepFailedException("could not create the file for $STEPSTREAM_OUTPUT: " + e.getMessage());
        }
    }

    Path path() {
        return path;
    }

    /** The outputs written, as strings, in the order first written (a name written again takes the later value). */
    ObjectNode read() throws StepFailedException {
        byte[] bytes;
        try {
            long size = Files.size(path);
            if (size > MAX_BYTES) {
                throw new StepFailedException("$STEPSTREAM_OUTPUT holds " + size + " bytes, over the limit of "
                        + MAX_BYTES / 1024 / 1024 + " MiB");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return Json.object(); // the script removed it: no outputs
        } catch (IOException e) {
            throw new StepFailedException("could not read $STEPSTREAM_OUTPUT: " + e.getMessage());
        }
        return parse(decode(bytes));
    }

    static ObjectNode parse(String text) throws StepFailedException {
        ObjectNode outputs = Json.object();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            int heredoc = line.indexOf("<<");
            int equals = line.indexOf('=');
            String name;
            String value;
            if (heredoc > 0 && (equals < 0 || heredoc < equals)) {
                name = line.substring(0, heredoc);
                String delimiter = line.substring(heredoc + 2);
                if (delimiter.isEmpty()) {
                    throw new StepFailedException("$STEPSTREAM_OUTPUT line " + (i + 1) + ": no delimiter after <<");
                }
                int start = i + 1;
                int end = start;
                while (end < lines.length && !lines[end].equals(delimiter)) {
                    end++;
                }
                if (end >= lines.length) {
                    throw new StepFailedException("$STEPSTREAM_OUTPUT line " + (i + 1) + ": \"" + name
                            + "\" has no closing line \"" + delimiter + "\"");
                }
                value = String.join("\n", Arrays.asList(lines).subList(start, end));
                i = end;
            } else if (equals > 0) {
                name = line.substring(0, equals);
                value = line.substring(equals + 1);
            } else {
                throw new StepFailedException("$STEPSTREAM_OUTPUT line " + (i + 1)
                        + ": expected name=value or name<<DELIMITER, got \"" + shorten(line) + "\"");
            }
            if (!NAME.matcher(name).matches()) {
                throw new StepFailedException("$STEPSTREAM_OUTPUT line " + (i + 1) + ": \"" + shorten(name)
                        + "\" is not a valid output name (letters, digits and _, not starting with a digit, at most 64)");
            }
            if (!outputs.has(name) && outputs.size() == MAX_OUTPUTS) {
                throw new StepFailedException("$STEPSTREAM_OUTPUT names more than " + MAX_OUTPUTS + " outputs");
            }
            outputs.put(name, value);
        }
        return outputs;
    }

    private static String decode(byte[] bytes) throws StepFailedException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new StepFailedException("$STEPSTREAM_OUTPUT is not UTF-8 text");
        }
    }

    private static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a temporary file: the system cleans it up in time
        }
    }
}
