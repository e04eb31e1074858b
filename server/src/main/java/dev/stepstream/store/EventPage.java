package dev.stepstream.store;

import dev.stepstream.events.RunEvent;
import java.util.List;

/**
 * A page of a run's events, all of them ({@link Store#eventsWithin}) or those that passed a filter
 * ({@link Store#events(java.util.UUID, long, int, dev.stepstream.events.EventFilter)}), and where
 * the next page starts: the seq to ask after, or -1 when the run's log held nothing more to read
 * when the page was read. {@code searchedTo}: the
 * seq up to which the log was searched (the page's {@code after} when nothing was), so that a
 * search of a run that goes on asks again from there, not from where it began.
 */
public record EventPage(List<RunEvent> events, long next, long searchedTo) {
    public EventPage {
        events = List.copyOf(events);
    }

    public boolean more() {
        return next >= 0;
    }
}
