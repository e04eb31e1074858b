package dev.stepstream.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/architecture.md, checked on the compiled classes: the engine (events,
 * store, broker, execution, retention, workflow, time, json) knows nothing of Vert.x or Netty, which stay at
 * the edges (api, stream, security, web, app), and the packages form no cycle.
 */
class LayeringTest {
    static JavaClasses classes;

    @BeforeAll
    static void read() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.stepstream");
    }

    @Test
    void theEngineImportsNothingOfVertxOrNetty() {
        noClasses().that().resideInAnyPackage("dev.stepstream.events..", "dev.stepstream.store..", "dev.stepstream.broker..",
                        "dev.stepstream.execution..", "dev.stepstream.retention..", "dev.stepstream.workflow..", "dev.stepstream.time..",
                        "dev.stepstream.json..", "dev.stepstream.files..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.netty..")
                .because("the engine runs on plain threads and is tested without a server (DESIGN.md, \"Threads\")")
                .check(classes);
    }

    /** Vert.x's internals (not its API) are used in one class, which checks them when the server starts. */
    @Test
    void vertxInternalsOnlyInTheOneClassThatChecksThem() {
        noClasses().that().doNotHaveFullyQualifiedName("dev.stepstream.stream.VertxInternals")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx.core.impl..", "io.vertx.core.internal..",
                        "io.vertx.core.net.impl..", "io.vertx.core.http.impl..")
                .because("an upgrade of Vert.x may change its internals; one place must be checked then")
                .check(classes);
    }

    /** No package cycles: each package owns its settings record, and the entry point stands above them all. */
    @Test
    void thePackagesFormNoCycle() {
        slices().matching("dev.stepstream.(*)..").should().beFreeOfCycles().check(classes);
    }
}
