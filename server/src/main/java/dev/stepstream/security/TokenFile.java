package dev.stepstream.security;

import dev.stepstream.files.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tokens file ({@code --tokens-file}): one token a line, as {@code NAME ROLE sha256:HEX}, where
 * HEX is the SHA-256 of the token. The file never holds a token itself, so reading it (or a
 * backup of it) gives no access. Blank lines and lines starting with {@code #} are ignored.
 * {@code stepstream token create} writes it; an operator may edit it by hand.
 *
 * <p>Instances are immutable; {@link #check} compares in constant time against every entry.
 */
public final class TokenFile {
    /** A token name: what logs, metrics and rate limits call the client. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
    private static final Pattern LINE = Pattern.compile("(\\S+)\\s+(\\S+)\\s+sha256:([0-9a-f]{64})");
    private static final String PREFIX = "ss_";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One line of the file. */
    public record Entry(String name, Role role, byte[] hash) {}

    private final List<Entry> entries;

    private TokenFile(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /**
     * Reads a tokens file.
     * @throws IllegalArgumentException naming the line and what is wrong with it
     * @throws IOException the file cannot be read
     */
    public static TokenFile read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            var matcher = LINE.matcher(line);
            if (!matcher.matches()) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected NAME ROLE sha256:HEX (64 hex digits)");
            }
            String name = matcher.group(1);
            Role role = Role.fromWire(matcher.group(2));
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("line " + (i + 1) + ": a name is letters, digits and _.@-, at most 64");
            }
            if (role == null) {
                throw new IllegalArgumentException("line " + (i + 1) + ": the role must be viewer, operator or admin");
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException("line " + (i + 1) + ": the name " + name + " is used twice");
            }
            entries.add(new Entry(name, role, HexFormat.of().parseHex(matcher.group(3))));
        }
        return new TokenFile(entries);
    }

    /**
     * The entry whose hash is the token's, or null. Every entry is compared, each in constant
     * time, so that the answer's timing says nothing about how close a guess came.
     */
    Entry check(String token) {
        byte[] hash = sha256(token);
        Entry found = null;
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.hash(), hash) && found == null) {
                found = entry;
            }
        }
        return found;
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * Makes a new random token (256 bits), appends its hash to {@code file} (created readable by
     * its owner only) and returns the token, which is stored nowhere.
     * @throws IllegalArgumentException a bad name, or a name already in the file
     */
    public static String create(Path file, String name, Role role) throws IOException {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("--name: letters, digits and _.@-, at most 64, got \"" + name + "\"");
        }
        if (Files.exists(file)) {
            for (Entry entry : read(file).entries()) {
                if (entry.name().equals(name)) {
                    throw new IllegalArgumentException("--name: a token named " + name + " exists in " + file
                            + "; revoke it first (stepstream token revoke " + name + ")");
                }
            }
        } else {
            createPrivate(file);
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        String line = name + " " + role.wire() + " sha256:" + HexFormat.of().formatHex(sha256(token)) + "\n";
        Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return token;
    }

    /** Removes the line of the token named {@code name}; false when there is none. */
    public static boolean revoke(Path file, String name) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> kept = lines.stream().filter(line -> !line.strip().startsWith(name + " ")).toList();
        if (kept.size() == lines.size()) {
            return false;
        }
        Path next = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(next);
        createPrivate(next);
        Files.write(next, kept, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    private static void createPrivate(Path file) throws IOException {
        try {
            PrivateFiles.createFile(file);
        } catch (FileAlreadyExistsException e) {
            // created meanwhile: append to it
        }
        if (Files.size(file) == 0) {
            Files.writeString(file, "# stepstream tokens: NAME ROLE sha256:HEX (the SHA-256 of the token; the token itself is not kept)\n");
        }
    }
}
