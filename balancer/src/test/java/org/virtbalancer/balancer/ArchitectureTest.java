package org.virtbalancer.balancer;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The decision core runs live, in tests and in trace replay alike, so it must not touch any framework. */
class ArchitectureTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.virtbalancer.balancer");

    @Test
    void theDecisionCoreDependsOnNoVertxKafkaOrHazelcastClasses() {
        noClasses().that().resideInAnyPackage("org.virtbalancer.balancer.model..", "org.virtbalancer.balancer.detect..",
                        "org.virtbalancer.balancer.plan..", "org.virtbalancer.balancer.execute..",
                        "org.virtbalancer.balancer.maintenance..", "org.virtbalancer.balancer.core..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "org.apache.kafka..", "com.hazelcast..")
                .check(CORE);
    }

    @Test
    void theDecisionCoreTakesTimeOnlyFromItsClock() {
        noClasses().that().resideInAnyPackage("org.virtbalancer.balancer.model..", "org.virtbalancer.balancer.detect..",
                        "org.virtbalancer.balancer.plan..", "org.virtbalancer.balancer.execute..",
                        "org.virtbalancer.balancer.maintenance..", "org.virtbalancer.balancer.core..")
                .should().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .check(CORE);
    }
}
