package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** The types an input may declare. */
public enum InputType {
    STRING, NUMBER, BOOLEAN, OBJECT, ARRAY;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean accepts(JsonNode value) {
        return switch (this) {
            case STRING -> value.isTextual();
            case NUMBER -> value.isNumber();
            case BOOLEAN -> value.isBoolean();
            case OBJECT -> value.isObject();
            case ARRAY -> value.isArray();
        };
    }
}
