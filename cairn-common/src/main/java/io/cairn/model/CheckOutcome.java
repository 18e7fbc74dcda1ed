package io.cairn.model;

/**
 * What one run of an instance's health check found: when it ran ({@code at}, epoch ms on the node that ran it),
 * the status it points to, its output (an HTTP status line, a gRPC serving status, or the error: "connection
 * refused", "timed out after 2000ms"), how long it took, and the node that ran it.
 */
public record CheckOutcome(long at, Health status, String output, long durationMillis, String node) {
}
