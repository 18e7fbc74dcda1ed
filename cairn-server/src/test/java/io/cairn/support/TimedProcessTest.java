package io.cairn.support;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A process test that holds a cluster to a time bound (failover, cold restart, start-up): it runs alone, after the
 * other process tests (pom.xml, execution timed-process-tests), so that another test's cluster does not eat into
 * its bound.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("timed")
public @interface TimedProcessTest {
}
