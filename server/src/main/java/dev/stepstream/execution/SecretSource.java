package dev.stepstream.execution;

import java.util.Optional;

/** A secret's value by name, empty when there is no such secret: the vault, to the runs (docs/security.md, "Secrets"). */
@FunctionalInterface
public interface SecretSource {
    Optional<String> value(String name);

    SecretSource NONE = name -> Optional.empty();
}
