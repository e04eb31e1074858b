package dev.stepstream.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.stepstream.execution.Executor;
import dev.stepstream.json.Json;
import dev.stepstream.store.StoreException;
import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.Problem;
import dev.stepstream.workflow.SyntaxException;
import dev.stepstream.workflow.WorkflowCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps every failure to the API's error shape, in one place. Never a stack trace in a response. */
final class Errors {
    private static final Logger log = LoggerFactory.getLogger(Errors.class);

    private Errors() {}

    static ApiError toApiError(Throwable failure) {
        return switch (failure) {
            case ApiError error -> error;
            case SyntaxException e -> new ApiError(400, "invalid_document",
                    e.located(),
                    Json.object().put("line", e.line()).put("column", e.column()));
            case InvalidException e -> invalid("invalid_workflow", e);
            case WorkflowCatalog.NotValidHere e -> invalid("invalid_workflow", e.getMessage(), e.problems());
            case Executor.OverCapacityException e -> ApiError.overCapacity(e.getMessage());
            case StoreException e -> {
                log.error("store failure", e);
                yield new ApiError(503, "store_unavailable", "the store is not answering; try again later").retryingAfter(5);
            }
            default -> {
                log.error("internal error", failure);
                yield new ApiError(500, "internal", "internal error");
            }
        };
    }

    /** 422 with every problem as {@code {"path","message"}} in details. */
    static ApiError invalid(String code, InvalidException e) {
        return invalid(code, e.getMessage(), e);
    }

    /** The same with another message. */
    static ApiError invalid(String code, String message, InvalidException e) {
        ArrayNode details = Json.MAPPER.createArrayNode();
        for (Problem problem : e.problems()) {
            details.addObject().put("path", problem.path()).put("message", problem.message());
        }
        return new ApiError(422, code, message, details);
    }
}
