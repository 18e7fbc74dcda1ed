/**
 * What the HTTP APIs share on the node's HTTP server, below every one of them (REST, event streams, the page, Consul's
 * API), so that those transports need not import each other: who calls ({@link io.cairn.webapi.Authentication}, and
 * the {@link io.cairn.webapi.TokenSource} a protocol adds), and how an answer or an error is written
 * ({@link io.cairn.webapi.Responses}).
 */
package io.cairn.webapi;
