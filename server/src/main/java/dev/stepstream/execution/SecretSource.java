package dev.stepstream.execution;

import dev.stepstream.secrets.Masker;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/** The vault, to the runs (docs/security.md, "Secrets"): the secrets' values, and what of them every run masks. */
public interface SecretSource {
    /** A secret's value by name, empty when there is no such secret. Blocks on the store. */
    Optional<String> value(String name);

    /**
     * The forms of every secret defined, as this node knows them now, which every run masks in
     * all it emits (and the executor in what it stores of a run). Called for every event: it
     * must cost no more than a volatile read.
     */
    Masker.Forms defined();

    SecretSource NONE = of(name -> Optional.empty(), () -> Masker.Forms.NONE);

    static SecretSource of(Function<String, Optional<String>> values, Supplier<Masker.Forms> defined) {
        return new SecretSource() {
            @Override
            public Optional<String> value(String name) {
                return values.apply(name);
            }

            @Override
            public Masker.Forms defined() {
                return defined.get();
            }
        };
    }
}
