package dev.stepstream.secrets;

import dev.stepstream.store.Store;
import dev.stepstream.store.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The secrets (docs/security.md, "Secrets"): each value sealed with AES-GCM under a data key,
 * the data keys sealed under the master key that every node holds, both in the store. No value
 * leaves here but through {@link #value}, which a run's driver calls for the secrets a step names
 * (and masks from then on).
 *
 * <p>Thread-safe: the opened data keys are a concurrent cache; everything else is the store's.
 * Every method blocks on the store: call it from a virtual thread.
 */
public final class Vault {
    public static final Pattern NAME = Pattern.compile("[A-Z_][A-Z0-9_]{0,63}");
    public static final int MIN_CHARS = 4;
    public static final int MAX_BYTES = 64 * 1024;

    /** A secret's listing: never its value. */
    public record Listed(String name, Instant updatedAt) {}

    private final Store store;
    private final byte[] master;
    /** Opened data keys by id; a key is never changed once stored, so a cached one stays right. */
    private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
    /** Why this node cannot open the secrets (its master key is not the one that sealed the data keys), or null. */
    private final String locked;

    private Vault(Store store, byte[] master, String locked) {
        this.store = store;
        this.master = master;
        this.locked = locked;
    }

    /**
     * Opens the vault: the master key from the settings, checked against the data keys stored
     * (the first is made when there is none). A key that does not open them leaves the vault
     * {@link #locked}: the node serves everything else, and says why whenever a secret is
     * needed, as a step's error and as the answer of the secrets' routes.
     * @throws IllegalArgumentException naming the setting, when the key cannot be had at all
     */
    public static Vault open(Store store, SecretsSettings settings) {
        byte[] master = MasterKey.load(settings);
        Map<String, byte[]> stored = store.secretKeys();
        Map<String, byte[]> opened = new java.util.HashMap<>();
        for (Map.Entry<String, byte[]> key : stored.entrySet()) {
            try {
                opened.put(key.getKey(), Aead.open(master, key.getValue(), wrapContext(key.getKey())));
            } catch (Aead.OpenFailed e) {
                return new Vault(store, master, (settings.key() != null ? "--secrets-key" : "--secrets-key-file " + settings.keyFile())
                        + ": this node's master key does not open the secrets' keys stored in the database (every node must hold"
                        + " the same key: copy the first node's key file, or set the same STEPSTREAM_SECRETS_KEY everywhere)");
            }
        }
        Vault vault = new Vault(store, master, null);
        vault.keys.putAll(opened);
        if (stored.isEmpty()) {
            vault.newDataKey();
        }
        return vault;
    }

    /** Why this node cannot open the secrets, if it cannot. */
    public Optional<String> locked() {
        return Optional.ofNullable(locked);
    }

    /** @throws Locked when this node cannot open the secrets */
    private void requireOpen() {
        if (locked != null) {
            throw new Locked(locked);
        }
    }

    /** This node's master key does not open the secrets (the message says which setting to fix). */
    public static final class Locked extends IllegalStateException {
        Locked(String message) {
            super(message);
        }
    }

    /**
     * Creates or replaces a secret.
     * @return true when it was created
     * @throws IllegalArgumentException naming {@code name} or {@code value} and what is wrong
     */
    public boolean put(String name, String value) {
        checkName(name);
        if (value == null) {
            throw new IllegalArgumentException("value: required");
        }
        if (value.codePointCount(0, value.length()) < MIN_CHARS) {
            throw new IllegalArgumentException("value: at least " + MIN_CHARS + " characters (a shorter one could not be masked"
                    + " without hiding ordinary text)");
        }
        byte[] plain = value.getBytes(StandardCharsets.UTF_8);
        if (plain.length > MAX_BYTES) {
            throw new IllegalArgumentException("value: at most 64 KiB, got " + plain.length + " bytes");
        }
        requireOpen();
        String keyId = currentKeyId();
        return store.putSecret(new StoredSecret(name, keyId, Aead.seal(key(keyId), plain, name), Instant.now()));
    }

    public List<Listed> list() {
        return store.secrets().stream().map(secret -> new Listed(secret.name(), secret.updatedAt())).toList();
    }

    /** @return false when there was no such secret */
    public boolean delete(String name) {
        checkName(name);
        return store.deleteSecret(name);
    }

    /** A secret's value, if it exists. */
    public Optional<String> value(String name) {
        requireOpen();
        return store.findSecret(name).map(secret ->
                new String(Aead.open(key(secret.keyId()), secret.ciphertext(), secret.name()), StandardCharsets.UTF_8));
    }

    /**
     * Makes a new data key and seals every secret again under it, one at a time, while runs go
     * on: until a secret is sealed again its old key, which stays stored, still opens it.
     * @return how many secrets were sealed again
     */
    public int rotate() {
        requireOpen();
        String keyId = newDataKey();
        byte[] key = key(keyId);
        int resealed = 0;
        for (StoredSecret secret : store.secrets()) {
            StoredSecret current = secret;
            while (!current.keyId().equals(keyId)) {
                byte[] plain = Aead.open(key(current.keyId()), current.ciphertext(), current.name());
                if (store.replaceSecret(current, keyId, Aead.seal(key, plain, current.name()))) {
                    resealed++;
                    break;
                }
                // Set or deleted meanwhile: seal what is there now, if anything.
                Optional<StoredSecret> now = store.findSecret(current.name());
                if (now.isEmpty()) {
                    break;
                }
                current = now.get();
            }
        }
        return resealed;
    }

    /** The id of the newest data key, which new values are sealed under. */
    public String currentKeyId() {
        Map<String, byte[]> stored = store.secretKeys();
        String newest = null;
        for (String id : stored.keySet()) {
            newest = id; // oldest first
        }
        return newest == null ? newDataKey() : newest;
    }

    private String newDataKey() {
        String keyId = HexFormat.of().formatHex(MasterKey.random(8));
        byte[] key = MasterKey.random(32);
        store.addSecretKey(keyId, Aead.seal(master, key, wrapContext(keyId)), Instant.now());
        keys.put(keyId, key);
        return keyId;
    }

    private byte[] key(String keyId) {
        return keys.computeIfAbsent(keyId, id -> {
            byte[] wrapped = store.secretKeys().get(id);
            if (wrapped == null) {
                throw new IllegalStateException("the secrets' data key " + id + " is not stored");
            }
            return Aead.open(master, wrapped, wrapContext(id));
        });
    }

    private static String wrapContext(String keyId) {
        return "stepstream data key " + keyId;
    }

    /** @throws IllegalArgumentException naming the rule */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: expected upper-case letters, digits and _ (not first a digit),"
                    + " at most 64, got \"" + (name == null ? "" : name.length() > 64 ? name.substring(0, 64) + "…" : name) + "\"");
        }
    }
}
