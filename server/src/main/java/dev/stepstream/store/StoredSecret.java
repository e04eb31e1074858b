package dev.stepstream.store;

import java.time.Instant;

/** A secret as stored: its name, the data key it is encrypted under, the ciphertext (nonce first), when it was last set. */
public record StoredSecret(String name, String keyId, byte[] ciphertext, Instant updatedAt) {}
