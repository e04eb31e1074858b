package dev.stepstream.store;

/** What a put stores of a workflow: its id, summary fields and normalised JSON definition. */
public record WorkflowDraft(String id, String name, String description, int stepCount, byte[] definition) {}
