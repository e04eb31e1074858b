package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * A validated workflow definition. {@code definition} is the normalised JSON document (what
 * {@code GET /api/v2/workflows/{id}} returns, without {@code version}); it must not be modified.
 * {@code inputs} keeps declaration order.
 */
public record Workflow(String id, String name, String description, Map<String, InputSpec> inputs,
                       List<Step> steps, ObjectNode definition) {}
