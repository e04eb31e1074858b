package dev.stepstream.secrets;

import dev.stepstream.json.Json;
import dev.stepstream.store.Store;
import dev.stepstream.store.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secrets (docs/security.md, "Secrets"): each value sealed with AES-GCM under a data key,
 * the data keys sealed under the master key that every node holds, both in the store. No value
 * leaves here but through {@link #value}, which a run's driver calls for the secrets a step names
 * (and masks from then on), and through {@link #values} to this node's {@link DefinedSecrets},
 * which makes the forms every run masks of them.
 *
 * <p>Thread-safe: the opened data keys are a concurrent cache; {@code changed} is set once,
 * before the node serves; everything else is the store's. Every method blocks on the store:
 * call it from a virtual thread.
 */
public final class Vault {
    private static final Logger log = LoggerFactory.getLogger(Vault.class);
    public static final Pattern NAME = Pattern.compile("[A-Z_][A-Z0-9_]{0,63}");
    public static final int MIN_CHARS = 4;
    public static final int MAX_BYTES = 64 * 1024;

    /** A secret's listing: never its value. */
    public record Listed(String name, Instant updatedAt) {}

    /** What {@link #put} did: whether it created the secret, and the {@code updatedAt} stored, which the list shows. */
    public record Put(boolean created, Instant updatedAt) {}

    private final Store store;
    private final byte[] master;
    /** The master key before this one, while it changes (null otherwise): it only opens data keys. */
    private final byte[] previous;
    /** Opened data keys by id; a key is never changed once stored (only sealed again), so a cached one stays right. */
    private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
    /** The ids of the data keys that only the previous master key opens, until a rotation seals them again. */
    private final Set<String> underPrevious = ConcurrentHashMap.newKeySet();
    /** Why this node cannot open the secrets (its master key is not the one that sealed the data keys), or null. */
    private final String locked;
    /** Told after this node set or deleted a secret, before the call returns: {@link DefinedSecrets#refresh}. */
    private volatile Runnable changed = () -> { };

    private Vault(Store store, byte[] master, byte[] previous, String locked) {
        this.store = store;
        this.master = master;
        this.previous = previous;
        this.locked = locked;
    }

    /**
     * Opens the vault: the master key from the settings (and the previous one, while it
     * changes), checked against the data keys stored (the first is made when there is none). Keys
     * that do not open them leave the vault {@link #locked}: the node serves everything else, and
     * says why whenever a secret is needed, as a step's error and as the answer of the secrets' routes.
     * @throws IllegalArgumentException naming the setting, when a key cannot be had at all
     */
    public static Vault open(Store store, SecretsSettings settings) {
        byte[] master = MasterKey.load(settings);
        byte[] previous = MasterKey.loadPrevious(settings);
        Map<String, byte[]> stored = store.secretKeys();
        Vault vault = new Vault(store, master, previous, null);
        for (Map.Entry<String, byte[]> key : stored.entrySet()) {
            if (vault.open(key.getKey(), key.getValue()) == null) {
                return new Vault(store, master, previous, (previous == null
                        ? settings.keySource() + ": this node's master key does not open"
                        : settings.keySource() + " and " + settings.previousKeySource() + ": neither of this node's master keys opens")
                        + " the secrets' keys stored in the database (every node must hold the same key: copy the first node's"
                        + " key file, or set the same STEPSTREAM_SECRETS_KEY everywhere)");
            }
        }
        if (stored.isEmpty()) {
            vault.newDataKey();
        }
        return vault;
    }

    /** A data key opened with the master key, else the previous one (noted), and cached; null when neither opens it. */
    private byte[] open(String keyId, byte[] wrapped) {
        try {
            byte[] key = Aead.open(master, wrapped, wrapContext(keyId));
            keys.put(keyId, key);
            return key;
        } catch (Aead.OpenFailed e) {
            if (previous == null) {
                return null;
            }
        }
        try {
            byte[] key = Aead.open(previous, wrapped, wrapContext(keyId));
            underPrevious.add(keyId);
            keys.put(keyId, key);
            return key;
        } catch (Aead.OpenFailed e) {
            return null;
        }
    }

    /**
     * How many stored data keys only the previous master key opens: none once a rotation has
     * sealed them under this one (the previous key is then no longer needed). Said at start.
     */
    public int keysUnderPreviousKey() {
        return underPrevious.size();
    }

    /** Whether this node was given a previous master key. */
    public boolean hasPreviousKey() {
        return previous != null;
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
     * @return whether it was created, and its {@code updatedAt} as stored (to the millisecond)
     * @throws IllegalArgumentException naming {@code name} or {@code value} and what is wrong
     */
    public Put put(String name, String value) {
        checkName(name);
        if (value == null) {
            throw new IllegalArgumentException("value: required");
        }
        if (value.codePointCount(0, value.length()) < MIN_CHARS) {
            throw new IllegalArgumentException("value: at least " + MIN_CHARS + " characters (a shorter one could not be masked"
                    + " without hiding ordinary text)");
        }
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(value)) {
            // JSON's \ud800 escapes may spell half a character: UTF-8 cannot hold it, so the value
            // stored (and given to steps) would not be the one sent.
            throw new IllegalArgumentException("value: not Unicode text (an unpaired surrogate \\uD800-\\uDFFF)");
        }
        byte[] plain = value.getBytes(StandardCharsets.UTF_8);
        if (plain.length > MAX_BYTES) {
            throw new IllegalArgumentException("value: at most 64 KiB, got " + plain.length + " bytes");
        }
        requireOpen();
        String keyId = currentKeyId();
        Instant updatedAt = Json.now(); // the store keeps milliseconds: so the caller is told what the list will show
        boolean created = store.putSecret(new StoredSecret(name, keyId, Aead.seal(key(keyId), plain, name), updatedAt));
        changed.run();
        return new Put(created, updatedAt);
    }

    public List<Listed> list() {
        return store.secrets().stream().map(secret -> new Listed(secret.name(), secret.updatedAt())).toList();
    }

    /** @return false when there was no such secret */
    public boolean delete(String name) {
        checkName(name);
        boolean deleted = store.deleteSecret(name);
        if (deleted) {
            changed.run();
        }
        return deleted;
    }

    /** Where this node's sets and deletions are told, before they return; set once, before the node serves. */
    void onChange(Runnable changed) {
        this.changed = changed;
    }

    /** A number that moves on whenever a secret is set or deleted, through any node ({@link Store#secretsVersion}). */
    long version() {
        return store.secretsVersion();
    }

    /**
     * Every secret's value, for the forms every run masks ({@link DefinedSecrets}); one that this
     * node cannot open is left out, and named in the log (a step that reads it fails, naming why).
     * @throws Locked when this node cannot open the secrets at all
     */
    List<String> values() {
        requireOpen();
        List<String> values = new ArrayList<>();
        for (StoredSecret secret : store.secrets()) {
            try {
                values.add(new String(Aead.open(key(secret.keyId()), secret.ciphertext(), secret.name()), StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                log.warn("secret {} cannot be opened on this node: runs here can neither read nor mask it: {}",
                        secret.name(), e.getMessage());
            }
        }
        return values;
    }

    /** A secret's value, if it exists. */
    public Optional<String> value(String name) {
        requireOpen();
        return store.findSecret(name).map(secret ->
                new String(Aead.open(key(secret.keyId()), secret.ciphertext(), secret.name()), StandardCharsets.UTF_8));
    }

    /** What a rotation did: the new data key, the secrets sealed under it, the older data keys sealed again under the master key. */
    public record Rotation(String keyId, int resealed, int rewrapped) {}

    /**
     * Makes a new data key and seals every secret again under it, one at a time, while runs go
     * on: until a secret is sealed again its old key, which stays stored, still opens it. Then
     * seals again under this node's master key every data key that only the previous master key
     * opened, so that no node needs the previous one any longer.
     */
    public Rotation rotate() {
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
        int rewrapped = 0;
        for (String older : store.secretKeys().keySet()) {
            byte[] opened = key(older);
            if (underPrevious.contains(older)) {
                store.rewrapSecretKey(older, Aead.seal(master, opened, wrapContext(older)));
                underPrevious.remove(older);
                rewrapped++;
            }
        }
        return new Rotation(keyId, resealed, rewrapped);
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
        byte[] cached = keys.get(keyId);
        if (cached != null) {
            return cached;
        }
        byte[] wrapped = store.secretKeys().get(keyId);
        if (wrapped == null) {
            throw new IllegalStateException("the secrets' data key " + keyId + " is not stored");
        }
        byte[] key = open(keyId, wrapped);
        if (key == null) {
            throw new Locked("the secrets' data key " + keyId + " was sealed under a master key this node does not hold"
                    + " (every node must hold the same key)");
        }
        return key;
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
