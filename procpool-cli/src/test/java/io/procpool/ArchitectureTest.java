package io.procpool;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.core.importer.Locations;
import org.junit.jupiter.api.Test;

/**
 * The package structure of docs/architecture.md, checked so it stays so: no cycles between
 * packages, and every layer depends only on the layers below it.
 *
 * <pre>
 *   cli ─▶ io.procpool (ProcessPool) ─▶ internal.* ─▶ spi ─▶ api ─▶ config
 *   testkit ─▶ io.procpool, spi, api, config
 * </pre>
 */
class ArchitectureTest {

    /**
     * The simulation kit's classes, from its module's build output: procpool-cli does not depend
     * on procpool-testkit (nothing in it runs the kit), and the reactor builds the kit first.
     */
    private static final java.nio.file.Path TESTKIT = java.nio.file.Path.of("..", "procpool-testkit", "target", "classes");

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // The library's test jar (FakePool and the other test helpers) once it is packaged:
            // DO_NOT_INCLUDE_TESTS knows test-classes folders, not a "-tests" jar.
            .withImportOption(location -> !location.matches(java.util.regex.Pattern.compile(".*-tests\\.jar.*")))
            .importLocations(theModules());

    private static java.util.Set<Location> theModules() {
        if (!java.nio.file.Files.isDirectory(TESTKIT.resolve("io/procpool/testkit"))) {
            throw new IllegalStateException(TESTKIT + " is missing: build procpool-testkit first (mvn test from the top)");
        }
        java.util.Set<Location> all = new java.util.HashSet<>(Locations.ofPackage("io.procpool"));
        all.add(Location.of(TESTKIT));
        return all;
    }

    @Test
    void noPackageDependsOnItselfThroughAnother() {
        slices().matching("io.procpool.(**)").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void configIsTheBottom() {
        noClasses().that().resideInAPackage("io.procpool.config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool", "io.procpool.api..", "io.procpool.spi..",
                        "io.procpool.internal..", "io.procpool.cli..", "io.procpool.testkit..")
                .check(MAIN);
    }

    @Test
    void theApiKnowsOnlyTheSettings() {
        noClasses().that().resideInAPackage("io.procpool.api..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool", "io.procpool.spi..", "io.procpool.internal..",
                        "io.procpool.cli..", "io.procpool.testkit..")
                .check(MAIN);
    }

    @Test
    void theSeamsKnowOnlyTheApiAndTheSettings() {
        noClasses().that().resideInAPackage("io.procpool.spi..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool", "io.procpool.internal..", "io.procpool.cli..",
                        "io.procpool.testkit..")
                .check(MAIN);
    }

    @Test
    void whatIsInternalIsUsedByTheFacadeAndTheCommandLineOnly() {
        noClasses().that().resideInAnyPackage("io.procpool.internal..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool", "io.procpool.cli..", "io.procpool.testkit..")
                .check(MAIN);
        noClasses().that().resideInAnyPackage("io.procpool.testkit..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool.internal..")
                .check(MAIN);
    }

    @Test
    void theAdminApiIsAClientOfThePoolApiNotOfTheActors() {
        noClasses().that().resideInAPackage("io.procpool.internal.admin..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool.internal.supervision..",
                        "io.procpool.internal.process..", "io.procpool.internal.linux..", "io.procpool.internal.health..")
                .check(MAIN);
    }

    @Test
    void theGatewayAndTheFeedsAreClientsOfThePoolApiNotOfTheActors() {
        noClasses().that().resideInAnyPackage("io.procpool.internal.gateway..", "io.procpool.internal.feeds..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool.internal.supervision..",
                        "io.procpool.internal.process..", "io.procpool.internal.linux..", "io.procpool.internal.health..",
                        "io.procpool.internal.admin..")
                .check(MAIN);
    }

    @Test
    void linuxIsReachedOnlyThroughThePlatformSeam() {
        noClasses().that().resideOutsideOfPackages("io.procpool.internal.linux..", "io.procpool")
                .should().dependOnClassesThat().resideInAPackage("io.procpool.internal.linux..")
                .check(MAIN);
    }

    @Test
    void theClusterIsReachedOnlyThroughItsSeamAndActsOnlyThroughTheFrontDoor() {
        // The library loads procpool-cluster through ClusterSupport (ServiceLoader), never by name.
        noClasses().that().resideOutsideOfPackage("io.procpool.internal.cluster..")
                .should().dependOnClassesThat().resideInAPackage("io.procpool.internal.cluster..")
                .check(MAIN);
        // It tells pools what to run through PoolClient, the one front door; the actors are not its business.
        noClasses().that().resideInAPackage("io.procpool.internal.cluster..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool.internal.linux..", "io.procpool.internal.admin..",
                        "io.procpool.internal.gateway..", "io.procpool.internal.process..", "io.procpool.internal.health..")
                .orShould().dependOnClassesThat(com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage(
                        "io.procpool.internal.supervision..").and(com.tngtech.archunit.base.DescribedPredicate.not(
                        com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName("PoolClient"))))
                .check(MAIN);
    }

    @Test
    void theSupervisionTreeRunsAgainstSeamsNotAnOperatingSystem() {
        noClasses().that().resideInAPackage("io.procpool.internal.supervision..")
                .should().dependOnClassesThat().resideInAnyPackage("io.procpool.internal.linux..", "io.procpool.internal.admin..",
                        "io.procpool.internal.health..")
                .check(MAIN);
    }
}
