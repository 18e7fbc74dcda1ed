package io.cairn.bridge;

import io.cairn.model.Event;

/**
 * An event of Cairn's change stream and its position there: {@code R} when it is the last event of revision R,
 * {@code R:k} when it is event k of R and more follow. A target records the position of the last change it wrote,
 * in the same write, so a bridge that starts again resumes right after it.
 */
public record Change(Event event, String position) {
}
