package io.cairn.support;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * When a test of in-JVM nodes fails, its message says where each node stood at that moment (readiness, Raft role,
 * leader, term, applied and committed index, revision): a cluster test that failed on a loaded CI machine then tells
 * why from the one line the build's summary shows (the failure's message is put on that line too). Registered for every test class (junit-platform.properties); it
 * finds the {@link TestNodes} in the test's fields.
 */
public final class ClusterStateOnFailure implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw described(context, failure);
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw described(context, failure);
  }

  @Override
  public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw described(context, failure);
  }

  private static Throwable described(ExtensionContext context, Throwable failure) {
    List<TestNodes> clusters = clusters(context);
    if (clusters.isEmpty()) {
      return failure;
    }
    StringBuilder state = new StringBuilder();
    for (TestNodes cluster : clusters) {
      state.append(cluster.describe());
    }
    AssertionError described = new AssertionError(
        failure.toString().replace('\n', ' ') + " -- nodes at failure:" + state, failure);
    described.setStackTrace(failure.getStackTrace());
    return described;
  }

  private static List<TestNodes> clusters(ExtensionContext context) {
    List<TestNodes> found = new ArrayList<>();
    Object instance = context.getTestInstance().orElse(null);
    for (Class<?> c = context.getRequiredTestClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        boolean isStatic = Modifier.isStatic(f.getModifiers());
        if (f.getType() != TestNodes.class || !isStatic && instance == null) {
          continue;
        }
        try {
          f.setAccessible(true);
          Object value = f.get(isStatic ? null : instance);
          if (value != null) {
            found.add((TestNodes) value);
          }
        } catch (ReflectiveOperationException | RuntimeException unreadable) {
          // no state to add from this field
        }
      }
    }
    return found;
  }
}
