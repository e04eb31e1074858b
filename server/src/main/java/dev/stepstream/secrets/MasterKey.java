package dev.stepstream.secrets;

import dev.stepstream.files.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

/** The master key of the secrets: 32 random bytes, written as base64; it only wraps the data keys. */
final class MasterKey {
    static final int BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private MasterKey() {}

    /**
     * The key the settings name: {@code key} when given, else the key file's, which is created
     * (mode 0600, its directory too) when absent.
     * @throws IllegalArgumentException naming the setting, when the key or file is unusable
     */
    static byte[] load(SecretsSettings settings) {
        if (settings.key() != null) {
            return decode(settings.key());
        }
        Path file = settings.keyFile();
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            return decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IOException e) {
            throw new IllegalArgumentException("--secrets-key-file: cannot read or create " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--secrets-key-file: " + file + " holds no key: " + e.getMessage(), e);
        }
    }

    /**
     * The previous master key the settings name, or null when they name none; its file is never
     * created.
     * @throws IllegalArgumentException naming the setting, when the key or file is unusable
     */
    static byte[] loadPrevious(SecretsSettings settings) {
        if (settings.previousKey() != null) {
            return decode(settings.previousKey());
        }
        Path file = settings.previousKeyFile();
        if (file == null) {
            return null;
        }
        try {
            return decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IOException e) {
            throw new IllegalArgumentException("--secrets-previous-key-file: cannot read " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--secrets-previous-key-file: " + file + " holds no key: " + e.getMessage(), e);
        }
    }

    private static void create(Path file) throws IOException {
        byte[] key = random(BYTES);
        try {
            PrivateFiles.createFile(file);
        } catch (FileAlreadyExistsException e) {
            return; // another process made it first: use its key
        }
        Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
    }

    /** @throws IllegalArgumentException unless {@code text} is 32 bytes in base64 */
    static byte[] decode(String text) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected 32 bytes in base64 (e.g. from: head -c 32 /dev/urandom | base64)");
        }
        if (key.length != BYTES) {
            throw new IllegalArgumentException("expected 32 bytes in base64, got " + key.length + " bytes");
        }
        return key;
    }

    static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return value;
    }
}
