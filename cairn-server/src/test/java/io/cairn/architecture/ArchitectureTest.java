package io.cairn.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the house the way ARCHITECTURE.md draws it: no package of the server imports one that imports it back
 * (each package is a slice of its own, so {@code http} and {@code http.rest} count apart), nothing imports the
 * wiring in {@code io.cairn}, the transports never import each other, and the registry stays pure: its apply function knows nothing of Vert.x, Hazelcast or
 * Ratis.
 */
class ArchitectureTest {
  private static JavaClasses server;

  @BeforeAll
  static void importServer() {
    server = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
        .importPackages("io.cairn");
  }

  static ArchRule noPackageCycles(String root) {
    return slices().matching(root + ".(**)").should().beFreeOfCycles();
  }

  @Test
  void noPackageCycles() {
    noPackageCycles("io.cairn").check(server);
  }

  @Test
  void onlyTheWiringKnowsTheWiring() {
    noClasses().that().resideOutsideOfPackage("io.cairn")
        .should().dependOnClassesThat().resideInAPackage("io.cairn")
        .because("io.cairn holds the node's wiring (CairnNode, CairnApplication), which imports every room")
        .check(server);
  }

  /** The transports, each a room of its own: they parse, call api/, render, and share only what lies below them. */
  private static final String[] TRANSPORTS = {"io.cairn.http..", "io.cairn.grpc", "io.cairn.consul..", "io.cairn.dns..",
      "io.cairn.eventbus..", "io.cairn.proxy..", "io.cairn.bridge.."};

  @Test
  void transportsNeverImportEachOther() {
    for (String transport : TRANSPORTS) {
      String[] others = Arrays.stream(TRANSPORTS).filter(t -> !t.equals(transport)).toArray(String[]::new);
      noClasses().that().resideInAPackage(transport)
          .should().dependOnClassesThat().resideInAnyPackage(others)
          .because("a transport reaches the registry through api/ and what every HTTP API shares is in webapi/")
          .check(server);
    }
  }

  /** The etcd bridges sit on the bridge room and what lies below the transports, never beside them. */
  @Test
  void theEtcdBridgesReachOnlyTheBridgeRoomAndWhatLiesBelow() {
    classes().that().resideInAPackage("io.cairn.bridge.etcd")
        .should().onlyDependOnClassesThat(resideOutsideOfPackage("io.cairn..").or(resideInAnyPackage(
            "io.cairn.bridge", "io.cairn.bridge.etcd", "io.cairn.api..", "io.cairn.config", "io.cairn.model",
            "io.cairn.node..", "io.cairn.registry")))
        .because("an etcd bridge reads the registry through api/ and node/ and writes through bridge/'s contracts")
        .check(server);
  }

  @Test
  void theRegistryIsPure() {
    noClasses().that().resideInAPackage("io.cairn.registry..")
        .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "com.hazelcast..", "org.apache.ratis..")
        .because("registry/ is the pure apply function every node runs alike (DESIGN §2)")
        .check(server);
  }

  /** The rule above can fail: two packages of this test's fixture import each other, and it says so. */
  @Test
  void aCycleIsCaught() {
    JavaClasses fixture = new ClassFileImporter().importPackages("io.cairn.architecture.fixture");
    EvaluationResult result = noPackageCycles("io.cairn.architecture.fixture").evaluate(fixture);
    assertThat(result.hasViolation()).isTrue();
    assertThat(result.getFailureReport().toString()).contains("fixture.a").contains("fixture.b");
  }
}
