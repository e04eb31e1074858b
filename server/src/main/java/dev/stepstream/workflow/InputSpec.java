package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;

/** One declared input: its type, whether it is required, and its default (null when none). */
public record InputSpec(InputType type, boolean required, JsonNode defaultValue) {}
