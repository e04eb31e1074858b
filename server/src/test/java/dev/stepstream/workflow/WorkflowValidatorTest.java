package dev.stepstream.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkflowValidatorTest {
    private static final WorkflowValidator SCRIPTS_ALLOWED = new WorkflowValidator(true);
    private static final WorkflowValidator SCRIPTS_DISABLED = new WorkflowValidator(false);

    @Test
    void theApiExampleValidatesIntoTypedSteps() throws Exception {
        Workflow workflow = SCRIPTS_ALLOWED.validate(fixture("hello.yaml"), null);

        assertThat(workflow.id()).isEqualTo("hello");
        assertThat(workflow.name()).isEqualTo("Hello world");
        assertThat(workflow.description()).isEqualTo("Greets someone");
        assertThat(workflow.inputs()).containsOnlyKeys("who", "times");
        assertThat(List.copyOf(workflow.inputs().keySet())).containsExactly("who", "times");
        assertThat(workflow.inputs().get("who")).isEqualTo(new InputSpec(InputType.STRING, false, json("\"world\"")));
        assertThat(workflow.inputs().get("times")).isEqualTo(new InputSpec(InputType.NUMBER, true, null));
        assertThat(workflow.steps()).extracting(Step::id).containsExactly("greet", "remember", "pause", "call", "build", "stop");
        assertThat(workflow.steps()).extracting(Step::type).containsExactly(
                StepKind.LOG, StepKind.SET, StepKind.SLEEP, StepKind.HTTP, StepKind.SCRIPT, StepKind.FAIL);
        assertThat(workflow.steps()).extracting(Step::name).containsExactly("Greet", "remember", "pause", "call", "build", "stop");

        Step call = workflow.steps().get(3);
        assertThat(call.spec()).isSameAs(workflow.definition().get("steps").get(3));
        assertThat(call.spec().get("url").asText()).isEqualTo("http://127.0.0.1:9000/users/${vars.greeted}");
        assertThat(call.when()).isNull();
        assertThat(call.timeout()).isNull();
        assertThat(call.retry()).isEqualTo(Step.Retry.NONE);
        assertThat(call.continueOnError()).isFalse();
    }

    @Test
    void commonFieldsAreTyped() throws Exception {
        Workflow workflow = SCRIPTS_DISABLED.validate(fixture("common-fields.yaml"), null);

        Step fetch = workflow.steps().get(0);
        assertThat(fetch.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(fetch.retry()).isEqualTo(new Step.Retry(3, Duration.ofMillis(1500)));
        assertThat(fetch.continueOnError()).isTrue();
        assertThat(fetch.spec().get("method").asText()).isEqualTo("POST");
        assertThat(workflow.steps().get(1).when()).isEqualTo(json("\"${inputs.verbose}\""));
        assertThat(workflow.steps().get(2).retry()).isEqualTo(fetch.retry());
        assertThat(workflow.steps().get(3).when()).isEqualTo(json("false"));
        assertThat(workflow.name()).isEqualTo("common-fields");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsPath() {
        assertThat(problems(SCRIPTS_ALLOWED, fixture("broken.yaml"), null)).containsExactly(
                "colour: unknown field",
                "id: \"Broken Workflow\" is not a valid workflow id (lowercase letters, digits, _ and -, starting with a letter or digit, at most 64)",
                "inputs.times.type: unknown type \"integer\" (expected string, number, boolean, object or array)",
                "inputs.who.requried: unknown field (did you mean \"required\"?)",
                "steps[0].mesage: unknown field (did you mean \"message\"?)",
                "steps[0].message: required",
                "steps[0].mesage: expression \"${inputs.who\" is not closed with \"}\"",
                "steps[1].id: duplicate id \"greet\"",
                "steps[1].type: unknown step type \"teleport\" (expected log, set, sleep, http, script, fail, workflow or approval)",
                "steps[2].retry.attempts: expected a whole number from 1 to 100, got 0",
                "steps[2].duration: expected a duration like 250ms, 2s or 1m, got \"5 minutes\"",
                "steps[3].vars.9lives: invalid variable name (letters, digits and _, not starting with a digit, at most 64)",
                "steps[3].vars.count: expression \"vars.count +\" does not parse: unexpected \"+\" at column 12");
    }

    @Test
    void scriptStepsAreAProblemWhenTheServerDisablesThem() {
        assertThat(problems(SCRIPTS_DISABLED, fixture("hello.yaml"), null)).containsExactly(
                "steps[4].type: script steps are disabled on this server (start it with --allow-scripts)");
    }

    @Test
    void theRootMustBeAMapping() {
        assertThat(problems(SCRIPTS_ALLOWED, json("[1, 2]"), null)).containsExactly("a workflow must be a mapping, got a list");
        assertThat(problems(SCRIPTS_ALLOWED, json("\"text\""), null)).containsExactly("a workflow must be a mapping, got a string");
        assertThat(problems(SCRIPTS_ALLOWED, json("null"), null)).containsExactly("a workflow must be a mapping, got null");
    }

    @Test
    void theIdIsRequiredUnlessThePathGivesIt() throws Exception {
        assertThat(problems(SCRIPTS_ALLOWED, yaml("steps: [{id: a, type: fail}]"), null)).containsExactly("id: required");

        Workflow fromPath = SCRIPTS_ALLOWED.validate(yaml("name: Named\nsteps: [{id: a, type: fail}]"), "from-path");
        assertThat(fromPath.id()).isEqualTo("from-path");
        assertThat(fromPath.definition().toString())
                .isEqualTo("{\"id\":\"from-path\",\"name\":\"Named\",\"steps\":[{\"id\":\"a\",\"type\":\"fail\"}]}");
    }

    @Test
    void anIdThatDiffersFromThePathsIsAProblem() {
        assertThat(problems(SCRIPTS_ALLOWED, yaml("id: other\nsteps: [{id: a, type: fail}]"), "hello"))
                .containsExactly("id: does not match the path's id \"hello\"");
    }

    @Test
    void workflowIdsFollowTheConvention() {
        for (String bad : new String[] {"Hello", "-hello", "hello world", "héllo", "a".repeat(65), "''"}) {
            assertThat(problems(SCRIPTS_ALLOWED, yaml("id: " + bad + "\nsteps: [{id: a, type: fail}]"), null))
                    .as(bad).singleElement().asString().startsWith("id: ").contains("is not a valid workflow id");
        }
        assertThat(problems(SCRIPTS_ALLOWED, yaml("id: 12\nsteps: [{id: a, type: fail}]"), null))
                .containsExactly("id: expected a string, got a number");
        assertThat(problems(SCRIPTS_ALLOWED, yaml("steps: [{id: a, type: fail}]"), "Bad Id")).singleElement().asString()
                .startsWith("id: \"Bad Id\" is not a valid workflow id");
    }

    @Test
    void theDefinitionIsACopyInTheDocumentsOrder() throws Exception {
        JsonNode doc = yaml("""
                name: Ordered
                id: ordered
                steps:
                  - {type: http, id: a, url: "https://x", method: delete, headers: {X-Count: 5, X-Flag: true}}
                  - {id: b, type: log, message: 42}
                """);
        String before = doc.toString();
        Workflow workflow = SCRIPTS_ALLOWED.validate(doc, "ordered");

        assertThat(doc.toString()).isEqualTo(before);
        assertThat(workflow.definition().toString()).isEqualTo("{\"name\":\"Ordered\",\"id\":\"ordered\",\"steps\":["
                + "{\"type\":\"http\",\"id\":\"a\",\"url\":\"https://x\",\"method\":\"DELETE\",\"headers\":{\"X-Count\":\"5\",\"X-Flag\":\"true\"}},"
                + "{\"id\":\"b\",\"type\":\"log\",\"message\":\"42\"}]}");
    }

    @Test
    void stepsMustBeANonEmptyListOfMappings() {
        assertThat(problems(SCRIPTS_ALLOWED, yaml("id: x"), null)).containsExactly("steps: required");
        assertThat(problems(SCRIPTS_ALLOWED, yaml("id: x\nsteps: []"), null)).containsExactly("steps: at least one step is required");
        assertThat(problems(SCRIPTS_ALLOWED, yaml("id: x\nsteps: {a: 1}"), null)).containsExactly("steps: expected a list of steps, got a mapping");
        assertThat(problems(SCRIPTS_ALLOWED, yaml("id: x\nsteps: [hello, {id: a, type: fail}]"), null))
                .containsExactly("steps[0]: expected a mapping, got a string");
    }

    @Test
    void atMostAThousandStepsAreAllowed() throws Exception {
        StringBuilder steps = new StringBuilder("id: long\nsteps:\n");
        for (int i = 0; i < 1001; i++) {
            steps.append("  - {id: s").append(i).append(", type: fail}\n");
        }
        assertThat(problems(SCRIPTS_ALLOWED, yaml(steps.toString()), null))
                .containsExactly("steps: at most 1000 steps are allowed, got 1001");
        String thousand = steps.substring(0, steps.lastIndexOf("  - {id: s1000"));
        assertThat(SCRIPTS_ALLOWED.validate(yaml(thousand), null).steps()).hasSize(1000);
    }

    @Test
    void unknownStepTypeIsReportedWithItsPath() {
        assertThat(problems(SCRIPTS_ALLOWED, steps("{id: a, type: log, message: hi}", "{id: b, type: teleport, to: mars}"), null))
                .containsExactly("steps[1].type: unknown step type \"teleport\" (expected log, set, sleep, http, script, fail, workflow or approval)");
        assertThat(problems(SCRIPTS_ALLOWED, steps("{id: a}"), null)).containsExactly("steps[0].type: required");
        assertThat(problems(SCRIPTS_ALLOWED, steps("{id: a, type: LOG, message: hi}"), null)).singleElement().asString()
                .startsWith("steps[0].type: unknown step type \"LOG\"");
    }

    @Test
    void stepIdsAreRequiredWellFormedAndUnique() {
        assertThat(problems(SCRIPTS_ALLOWED, steps("{type: fail}"), null)).containsExactly("steps[0].id: required");
        assertThat(problems(SCRIPTS_ALLOWED, steps("{id: 'has space', type: fail}"), null))
                .containsExactly("steps[0].id: \"has space\" is not a valid step id (letters, digits, _ and -, at most 64)");
        assertThat(problems(SCRIPTS_ALLOWED, steps("{id: x, type: fail}", "{id: y, type: fail}", "{id: x, type: fail}"), null))
                .containsExactly("steps[2].id: duplicate id \"x\"");
    }

    @Test
    void fieldsOfAnotherStepTypeAreUnknownFields() {
        assertThat(problems(SCRIPTS_ALLOWED, steps("{id: a, type: log, message: hi, url: 'https://x', colour: red, levle: warn}"), null))
                .containsExactly("steps[0].url: unknown field", "steps[0].colour: unknown field",
                        "steps[0].levle: unknown field (did you mean \"level\"?)");
    }

    @Test
    void eachStepTypeHasItsRequiredFields() {
        assertThat(problems(SCRIPTS_ALLOWED, steps("{id: a, type: log}", "{id: b, type: set}", "{id: c, type: sleep}",
                "{id: d, type: http}", "{id: e, type: script}", "{id: f, type: fail}"), null)).containsExactly(
                "steps[0].message: required",
                "steps[1].vars: required",
                "steps[2].duration: required",
                "steps[3].url: required",
                "steps[4].run: required");
    }

    @Test
    void typeSpecificFieldsAreChecked() {
        assertThat(problems(SCRIPTS_ALLOWED, steps(
                "{id: a, type: log, message: [1], level: verbose}",
                "{id: b, type: set, vars: {}}",
                "{id: c, type: set, vars: [x]}",
                "{id: d, type: sleep, duration: 5}",
                "{id: e, type: http, url: 'ftp://x', method: FETCH, headers: {'bad name': x, Ok: [1]}, expectStatus: [200, 700], saveAs: 'x.y'}",
                "{id: f, type: http, url: 'https://x', expectStatus: 200}",
                "{id: g, type: script, run: ' ', env: {1X: a, OK: {}}, workdir: 5, saveAs: 9}",
                "{id: h, type: fail, message: {a: 1}}"), null)).containsExactly(
                "steps[0].message: expected a string, got a list",
                "steps[0].level: unknown level \"verbose\" (expected debug, info, warn or error)",
                "steps[1].vars: at least one variable is required",
                "steps[2].vars: expected a mapping of variable names to values, got a list",
                "steps[3].duration: expected a duration like 250ms, 2s or 1m, got 5",
                "steps[4].url: expected an http:// or https:// URL, got \"ftp://x\"",
                "steps[4].method: unknown method \"FETCH\" (expected GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS)",
                "steps[4].headers[\"bad name\"]: invalid header name",
                "steps[4].headers.Ok: expected a string, got a list",
                "steps[4].expectStatus[1]: expected a status code from 100 to 599, got 700",
                "steps[4].saveAs: \"x.y\" is not a valid variable name (letters, digits and _, not starting with a digit, at most 64)",
                "steps[5].expectStatus: expected a list of status codes like [200, 201], got 200",
                "steps[6].run: must not be empty",
                "steps[6].env.1X: invalid environment variable name",
                "steps[6].env.OK: expected a string, got a mapping",
                "steps[6].saveAs: 9 is not a valid variable name (letters, digits and _, not starting with a digit, at most 64)",
                "steps[7].message: expected a string, got a mapping");
    }

    @Test
    void commonFieldsAreCheckedOnEveryStep() {
        assertThat(problems(SCRIPTS_ALLOWED, steps(
                "{id: a, type: fail, when: 3, timeout: 0s, continueOnError: 'yes'}",
                "{id: b, type: fail, timeout: soon, retry: 3}",
                "{id: c, type: fail, retry: {attempts: 101, delay: -1s, backoff: 2}}",
                "{id: d, type: fail, retry: {delay: 1s}, name: [x]}",
                "{id: e, type: fail, retry: {attempts: 2.5}, when: 'vars.x >'}"), null)).containsExactly(
                "steps[0].when: expected true, false or an expression, got a number",
                "steps[0].timeout: must be longer than 0s",
                "steps[0].continueOnError: expected true or false, got \"yes\"",
                "steps[1].timeout: expected a duration like 250ms, 2s or 1m, got \"soon\"",
                "steps[1].retry: expected a mapping like {attempts: 3, delay: 1s}, got a number",
                "steps[2].retry.backoff: unknown field",
                "steps[2].retry.attempts: expected a whole number from 1 to 100, got 101",
                "steps[2].retry.delay: expected a duration like 250ms, 2s or 1m, got \"-1s\"",
                "steps[3].name: expected a string, got a list",
                "steps[3].retry.attempts: required",
                "steps[4].when: expression \"vars.x >\" does not parse: unexpected \">\" at column 8",
                "steps[4].retry.attempts: expected a whole number from 1 to 100, got 2.5");
    }

    @Test
    void expressionProblemsCarryThePathOfTheirValue() {
        assertThat(problems(SCRIPTS_ALLOWED, steps(
                "{id: a, type: set, vars: {count: '${vars.count * }', list: [ok, '${x = 1}']}}",
                "{id: b, type: http, url: 'https://x/${inputs.who.getClass()}', headers: {A: '${'}, body: {deep: [{k: '${foo}'}]}}",
                "{id: c, type: log, message: fine, when: '${vars.n > }'}"), null)).containsExactly(
                "steps[0].vars.count: expression \"vars.count *\" does not parse: unexpected \"*\" at column 12",
                "steps[0].vars.list[1]: expression \"x = 1\" is not allowed: assignments are not supported",
                "steps[1].url: expression \"inputs.who.getClass()\" is not allowed: method calls are not supported",
                "steps[1].headers.A: expression \"${\" is not closed with \"}\"",
                "steps[1].body.deep[0].k: expression \"foo\" uses unknown variable \"foo\" (expressions see inputs, vars, run, steps and secrets)",
                "steps[2].when: expression \"vars.n >\" does not parse: unexpected \">\" at column 8");
    }

    @Test
    void expressionsMayReadOnlyDeclaredInputsExistingStepsAndRunFields() {
        JsonNode doc = yaml("""
                id: refs
                inputs: {who: {type: string}}
                steps:
                  - {id: greet, type: log, message: "${inputs.who} ${inputs.whom} ${inputs['what']}"}
                  - {id: check, type: log, message: "${steps.greet.status} ${steps.gret.status} ${steps.check.status}"}
                  - {id: run, type: log, message: "${run.id} ${run.workflowId} ${run.startedAt} ${vars.anything}"}
                  - {id: later, type: fail, when: "steps.nope.status == 'success'"}
                """);
        assertThat(problems(SCRIPTS_ALLOWED, doc, null)).containsExactly(
                "steps[0].message: expression \"inputs.whom\" reads input \"whom\", which is not declared (declared: who)",
                "steps[0].message: expression \"inputs['what']\" reads input \"what\", which is not declared (declared: who)",
                "steps[1].message: expression \"steps.gret.status\" reads step \"gret\", which does not exist (did you mean \"greet\"?)",
                "steps[2].message: expression \"run.startedAt\" reads run.startedAt, which does not exist (run has id and workflowId)",
                "steps[3].when: expression \"steps.nope.status == 'success'\" reads step \"nope\", which does not exist");
    }

    @Test
    void inputsAreCheckedLikeSteps() {
        JsonNode doc = yaml("""
                id: inputs
                inputs:
                  who: {type: string, default: 5}
                  times: {type: number, required: "yes"}
                  9lives: {type: boolean}
                  flag: boolean
                  nothing: {required: true}
                  ok: {type: object, default: {a: 1}, required: true}
                steps: [{id: a, type: fail}]
                """);
        assertThat(problems(SCRIPTS_ALLOWED, doc, null)).containsExactly(
                "inputs.who.default: expected string, got number",
                "inputs.times.required: expected true or false, got \"yes\"",
                "inputs.9lives: invalid input name (letters, digits and _, not starting with a digit, at most 64)",
                "inputs.flag: expected a mapping like {type: string}, got a string",
                "inputs.nothing.type: required");
        assertThat(problems(SCRIPTS_ALLOWED, yaml("id: x\ninputs: [a]\nsteps: [{id: a, type: fail}]"), null))
                .containsExactly("inputs: expected a mapping of input names to {type, required, default}, got a list");
    }

    @Test
    void aRequiredInputMayHaveADefault() throws Exception {
        Workflow workflow = SCRIPTS_ALLOWED.validate(yaml("""
                id: x
                inputs: {n: {type: number, required: true, default: 3}}
                steps: [{id: a, type: fail}]
                """), null);
        assertThat(workflow.inputs().get("n")).isEqualTo(new InputSpec(InputType.NUMBER, true, json("3")));
    }

    @Test
    void sleepMayTakeItsDurationFromAnExpression() throws Exception {
        Workflow workflow = SCRIPTS_ALLOWED.validate(steps("{id: a, type: sleep, duration: '${vars.delay}'}"), null);
        assertThat(workflow.steps().get(0).spec().get("duration").asText()).isEqualTo("${vars.delay}");
    }

    @Test
    void theWorkflowNameAndDescriptionMustBeText() {
        assertThat(problems(SCRIPTS_ALLOWED, yaml("id: x\nname: [a]\ndescription: 5\nsteps: [{id: a, type: fail}]"), null))
                .containsExactly("name: expected a string, got a list", "description: expected a string, got a number");
    }

    @Test
    void triggersAndConcurrencyAreTyped() throws Exception {
        Workflow workflow = SCRIPTS_DISABLED.validate(yaml("""
                id: deploy
                inputs:
                  env: {type: string, required: true}
                  ref: {type: string, default: main}
                triggers:
                  - {id: nightly, type: schedule, cron: "0 3 * * 1-5", timezone: Europe/Paris, inputs: {env: prod}}
                  - {id: push, type: webhook, secret: "${secrets.HOOK_KEY}",
                     inputs: {env: staging, ref: "${body.ref}"}}
                concurrency: {key: "deploy-${inputs.env}", onLimit: cancel-running}
                steps:
                  - {id: a, type: log, message: hi}
                """), null);

        TriggerSpec nightly = workflow.trigger("nightly").orElseThrow();
        assertThat(nightly.type()).isEqualTo(TriggerSpec.Type.SCHEDULE);
        assertThat(nightly.cron().zone()).hasToString("Europe/Paris");
        assertThat(nightly.inputs()).hasToString("{\"env\":\"prod\",\"ref\":\"main\"}");
        TriggerSpec push = workflow.trigger("push").orElseThrow();
        assertThat(push.secret()).isEqualTo("${secrets.HOOK_KEY}");
        assertThat(push.inputs()).hasToString("{\"env\":\"staging\",\"ref\":\"${body.ref}\"}");
        assertThat(workflow.concurrency()).isEqualTo(new Concurrency("deploy-${inputs.env}", 1, Concurrency.OnLimit.CANCEL_RUNNING));
        assertThat(workflow.concurrency().keyOf("deploy", (com.fasterxml.jackson.databind.node.ObjectNode) json("{\"env\":\"prod\"}")))
                .isEqualTo("deploy-prod");
        assertThat(SCRIPTS_DISABLED.validate(steps("{id: a, type: log, message: hi}"), null).concurrency()).isNull();
    }

    @Test
    void everyProblemOfTriggersAndConcurrencyIsNamedByItsPath() {
        assertThat(problems(SCRIPTS_DISABLED, yaml("""
                id: bad
                inputs:
                  env: {type: string, required: true}
                triggers:
                  - {id: nightly, type: schedule, cron: "0 3 * *", timezone: Mars/Olympus}
                  - {id: nightly, type: schedule, cron: "61 * * * *", inputs: {env: 3}}
                  - {id: Hook, type: webhook, secret: plain-text-key, inputs: {env: "${vars.x}", other: "x"}}
                  - {id: pull, type: webhook, inputs: {env: "${secrets.TOKEN}"}, when: always}
                  - {id: later, type: teleport}
                  - {id: lower, type: webhook, secret: "${secrets.hook_key}", inputs: {env: "${body.env}"}}
                  - {id: prefixed, type: webhook, secret: "pre-${secrets.HOOK_KEY}", inputs: {env: "${body.env}"}}
                  - {id: two, type: webhook, secret: "${secrets.A}${secrets.B}", inputs: {env: "${body.env}"}}
                  - {id: spaced, type: webhook, secret: "${ secrets.HOOK_KEY }", inputs: {env: "${body.env}"}}
                concurrency: {key: "${steps.a}", limit: 0, onLimit: wait}
                steps:
                  - {id: a, type: log, message: hi}
                """), null)).containsExactlyInAnyOrder(
                "triggers[0].timezone: \"Mars/Olympus\" is not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC)",
                "triggers[0].cron: \"0 3 * *\" is not a cron expression: expected 5 fields (minute hour day-of-month month"
                        + " day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly; got 4 fields",
                "triggers[0].inputs.env: required",
                "triggers[1].id: another trigger has the id \"nightly\"",
                "triggers[1].cron: \"61 * * * *\" is not a cron expression: minute: 61 is not from 0 to 59",
                "triggers[1].inputs.env: expected string, got number",
                "triggers[2].id: \"Hook\" is not a valid trigger id (lowercase letters, digits, _ and -, starting with a letter or digit, at most 64)",
                "triggers[2].secret: expected a secret, like \"${secrets.HOOK_KEY}\" (a key written out would be stored and shown with the workflow)",
                "triggers[2].inputs.env: expression \"vars.x\" uses unknown variable \"vars\" (expressions here see body, headers, query)",
                "triggers[2].inputs.other: unknown input (declared: env)",
                "triggers[3].when: unknown field",
                "triggers[3].inputs.env: a secret is not passed as an input (inputs are stored as they are)",
                "triggers[4].type: unknown trigger type \"teleport\" (expected schedule or webhook)",
                "triggers[5].secret: reads secret \"hook_key\": a secret's name is upper-case letters, digits and _, not first a digit",
                "triggers[6].secret: expected one secret and nothing else, like \"${secrets.HOOK_KEY}\" (what is written beside it"
                        + " would be stored and shown with the workflow)",
                "triggers[7].secret: expected one secret and nothing else, like \"${secrets.HOOK_KEY}\" (what is written beside it"
                        + " would be stored and shown with the workflow)",
                "concurrency.key: expression \"steps.a\" uses unknown variable \"steps\" (expressions here see inputs)",
                "concurrency.limit: expected a whole number from 1 to 1000, got 0",
                "concurrency.onLimit: expected queue, skip or cancel-running, got \"wait\"");
    }

    @Test
    void retentionKeepsRunsByAgeOrCountAndEveryProblemIsNamedByItsPath() throws InvalidException {
        Workflow both = SCRIPTS_DISABLED.validate(yaml("""
                id: kept
                retention: {maxAge: 1d12h, maxRuns: 200}
                steps: [{id: a, type: log, message: hi}]
                """), null);
        assertThat(both.retention()).isEqualTo(new Retention(java.time.Duration.ofHours(36), 200));
        assertThat(WorkflowValidator.retentionOf(both.definition())).isEqualTo(both.retention());
        assertThat(SCRIPTS_DISABLED.validate(yaml("id: a\nretention: {maxRuns: 5}\nsteps: [{id: a, type: log, message: hi}]"), null)
                .retention()).isEqualTo(new Retention(null, 5));
        assertThat(SCRIPTS_DISABLED.validate(steps("{id: a, type: log, message: hi}"), null).retention()).isNull();

        assertThat(problems(SCRIPTS_DISABLED, yaml("""
                id: bad
                retention: {maxAge: 0s, maxRuns: 0, keep: all}
                steps: [{id: a, type: log, message: hi}]
                """), null)).containsExactlyInAnyOrder(
                "retention.maxAge: expected a duration above zero such as 7d or 12h, got \"0s\"",
                "retention.maxRuns: expected a whole number from 1 to 10000000, got 0",
                "retention.keep: unknown field");
        assertThat(problems(SCRIPTS_DISABLED, yaml("""
                id: bad
                retention: {maxAge: a week, maxRuns: 2.5}
                steps: [{id: a, type: log, message: hi}]
                """), null)).containsExactlyInAnyOrder(
                "retention.maxAge: expected a duration such as 7d or 12h, got \"a week\"",
                "retention.maxRuns: expected a whole number from 1 to 10000000, got 2.5");
        assertThat(problems(SCRIPTS_DISABLED, yaml("id: bad\nretention: 30d\nsteps: [{id: a, type: log, message: hi}]"), null))
                .containsExactly("retention: expected a mapping like {maxAge: 30d, maxRuns: 200}, got a string");
    }

    private static JsonNode steps(String... steps) {
        return yaml("id: test\nsteps:\n" + String.join("\n", List.of(steps).stream().map(s -> "  - " + s).toList()) + "\n");
    }

    private static List<String> problems(WorkflowValidator validator, JsonNode doc, String expectedId) {
        try {
            validator.validate(doc, expectedId);
        } catch (InvalidException e) {
            assertThat(e.problems()).isNotEmpty();
            return e.problems().stream().map(Problem::toString).toList();
        }
        throw new AssertionError("expected problems, but the workflow is valid");
    }

    static JsonNode fixture(String name) {
        try (InputStream in = WorkflowValidatorTest.class.getResourceAsStream("/workflows/" + name)) {
            return WorkflowParser.parse(in.readAllBytes(), false);
        } catch (IOException | SyntaxException e) {
            throw new AssertionError(name + " does not parse", e);
        }
    }

    private static JsonNode yaml(String text) {
        try {
            return WorkflowParserTest.yaml(text);
        } catch (SyntaxException e) {
            throw new AssertionError(e.getMessage() + " at " + e.line() + ":" + e.column(), e);
        }
    }

    private static JsonNode json(String text) {
        return ExpressionsTest.json(text);
    }
}
