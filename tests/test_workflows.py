"""The workflows: stacks come from stacks/, environments deploy in order, untrusted input stays out of scripts.

preview.yml previews every stack on pull requests; deploy.yml runs `pulumi up` per environment. Both take their
stack list from the `stacks` job's script, which these tests run as the workflow runs it. The deploy jobs' `if`
conditions are evaluated by a small interpreter of the expressions they use, so the order and the failure
handling are checked as GitHub would run them, not as text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml

from mlplat.core.vocabulary import ENVIRONMENTS

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PREVIEW = yaml.safe_load((WORKFLOWS / "preview.yml").read_text())
DEPLOY = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
DRIFT = yaml.safe_load((WORKFLOWS / "drift.yml").read_text())
UP = yaml.safe_load((WORKFLOWS / "pulumi-up.yml").read_text())  # the `up` of one environment and level
UP_JOB = UP["jobs"]["up"]
LEVELS = (0, 1, 2, 3)
STACK_FILES = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
UP_JOBS = {environment: f"up-{environment}" for environment in ENVIRONMENTS}  # level 0 of each environment
LEVEL_JOBS = {environment: [f"up-{environment}"] + [f"up-{environment}-{level}" for level in LEVELS[1:]]
              for environment in ENVIRONMENTS}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.S)
VALID_PAYLOAD = {
    "family": "churn",
    "model_package_arn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/mlplat-staging-churn/4",
    "environment": "staging",
}


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    return workflow.get("on", workflow.get(True))


def steps_of(workflow: dict[str, Any]):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


# --- the stacks job, run as the workflow runs it ---------------------------------------------------------------

def run_stack_list(
    workflow: dict[str, Any], cwd: Path, *, event: str, ref: str = "refs/heads/main",
    payload: Optional[dict[str, str]] = None, inputs: Optional[dict[str, str]] = None,
    changed: Optional[list[str]] = None,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run the `stacks` job's list step with bash in `cwd`: its env rendered from a fake event, like the runner."""
    step = next(s for s in workflow["jobs"]["stacks"]["steps"] if s.get("id") == "list")
    contexts = {
        "github.event_name": event,
        "github.event.repository.default_branch": "main",
        **{f"github.event.client_payload.{k}": v for k, v in (payload or {}).items()},
        **{f"inputs.{k}": v for k, v in (inputs or {}).items()},
    }

    def render(value: Any) -> str:
        # A missing context renders as '' on GitHub.
        return EXPRESSION.sub(lambda m: contexts.get(m.group(1), ""), str(value))

    output = Path(tempfile.mkdtemp()) / "github_output"
    output.write_text("")
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_OUTPUT": str(output),
        "GITHUB_REF": ref,
        **{k: render(v) for k, v in workflow.get("env", {}).items()},
        **{k: render(v) for k, v in step.get("env", {}).items()},
        **({"CHANGED_FILES": "\n".join(changed)} if changed is not None else {}),
    }
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    shutil.rmtree(output.parent)
    return result, {k: json.loads(v) for k, v in outputs.items()}


@pytest.fixture
def layered(tmp_path: Path) -> Path:
    """A project whose stacks/ holds layer stacks `<env>-<layer>` beside the environments' own stacks."""
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    (tmp_path / "stacks").mkdir()
    for stack in ("prod-serving", "dev-network", "dev", "staging", "prod", "dev-serving", "prod-network"):
        (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    (tmp_path / "stacks" / "registry.prod.json").write_text("{}")  # not a stack file
    return tmp_path


def test_the_stack_list_is_what_stacks_holds():
    for workflow, event in ((PREVIEW, "pull_request"), (DEPLOY, "push")):
        result, outputs = run_stack_list(workflow, ROOT, event=event)
        assert result.returncode == 0, result.stdout + result.stderr
        assert sorted(entry["stack"] for entry in outputs["all"]) == STACK_FILES
        for entry in outputs["all"]:
            assert entry["stack"] == entry["environment"] or entry["stack"].startswith(f"{entry['environment']}-")


def test_layer_stacks_join_their_environment_in_order(layered: Path):
    result, outputs = run_stack_list(DEPLOY, layered, event="push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs["dev"] == ["dev", "dev-network", "dev-serving"]
    assert outputs["staging"] == ["staging"]
    assert outputs["prod"] == ["prod", "prod-network", "prod-serving"]
    assert [e["environment"] for e in outputs["all"]] == ["dev"] * 3 + ["staging"] + ["prod"] * 3


def test_a_stack_file_of_no_known_environment_stops_the_run(layered: Path):
    (layered / "stacks" / "Pulumi.qa-network.yaml").write_text("config: {}\n")
    result, outputs = run_stack_list(DEPLOY, layered, event="push")
    assert result.returncode != 0 and outputs == {}
    assert "Pulumi.qa-network.yaml" in result.stdout and "staging" in result.stdout


def test_an_approval_deploys_its_environment_only(layered: Path):
    result, outputs = run_stack_list(DEPLOY, layered, event="repository_dispatch", payload=VALID_PAYLOAD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (outputs["dev"], outputs["staging"], outputs["prod"]) == ([], ["staging"], [])


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("environment", "qa", "client_payload.environment"),
        ("environment", "prod\n::set-output name=prod::[\"x\"]", "client_payload.environment"),
        ("family", "Churn; rm -rf /", "client_payload.family"),
        ("model_package_arn", "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/x", "model_package_arn"),
        ("model_package_arn", "arn:aws:sagemaker:us-east-1:123456789012:model-package/mlplat-staging-fraud/4",
         "not of the family"),
        ("model_package_arn", "$(curl evil)", "model_package_arn"),
    ],
)
def test_a_bad_dispatch_payload_deploys_nothing(layered: Path, field: str, value: str, named: str):
    payload = {**VALID_PAYLOAD, field: value}
    result, outputs = run_stack_list(DEPLOY, layered, event="repository_dispatch", payload=payload)
    assert result.returncode != 0 and outputs == {}
    assert named in result.stdout
    # The untrusted value never starts a line: no workflow command can come from it.
    assert [line for line in result.stdout.splitlines() if line.startswith("::")] == [result.stdout.strip()]
    assert result.stdout.startswith("::error::")


def test_a_missing_payload_key_deploys_nothing(layered: Path):
    payload = {k: v for k, v in VALID_PAYLOAD.items() if k != "model_package_arn"}
    result, outputs = run_stack_list(DEPLOY, layered, event="repository_dispatch", payload=payload)
    assert result.returncode != 0 and outputs == {}


def test_a_manual_run_deploys_the_requested_environment_or_stack(layered: Path):
    _, outputs = run_stack_list(DEPLOY, layered, event="workflow_dispatch", inputs={"environment": "prod"})
    assert (outputs["dev"], outputs["staging"], outputs["prod"]) == ([], [], ["prod", "prod-network", "prod-serving"])
    _, outputs = run_stack_list(
        DEPLOY, layered, event="workflow_dispatch", inputs={"environment": "prod", "stack": "prod-serving"}
    )
    assert outputs["prod"] == ["prod-serving"] and outputs["dev"] == []
    result, outputs = run_stack_list(
        DEPLOY, layered, event="workflow_dispatch", inputs={"environment": "prod", "stack": "dev-serving"}
    )
    assert result.returncode != 0 and outputs == {} and "dev-serving" in result.stdout


def test_deploys_run_from_the_default_branch_only(layered: Path):
    result, outputs = run_stack_list(
        DEPLOY, layered, event="workflow_dispatch", ref="refs/heads/feature", inputs={"environment": "dev"}
    )
    assert result.returncode != 0 and outputs == {}


def test_a_pull_request_deploys_nothing_and_previews_everything(layered: Path):
    result, outputs = run_stack_list(PREVIEW, layered, event="pull_request")
    assert result.returncode == 0
    assert len(outputs["all"]) == 7 and all(outputs[e] == [] for e in ENVIRONMENTS)


# --- the job graph of deploy.yml, evaluated -------------------------------------------------------------------

STATUS_FUNCTIONS = re.compile(r"\b(success|failure|always|cancelled)\(\)")


def evaluate(condition: Optional[str], needs: dict[str, str], outputs: dict[str, str]) -> bool:
    """A job's `if` the way GitHub reads it, for the expressions deploy.yml uses (anything else fails the test).

    `needs` maps each needed job to its result; `outputs` are the stacks job's outputs (JSON text). As on GitHub,
    a condition without a status function is `success() && (...)`; no run here is cancelled.
    """
    text = (condition or "true").strip()
    if text.startswith("${{"):
        text = EXPRESSION.fullmatch(text).group(1)
    if not STATUS_FUNCTIONS.search(text):
        text = f"success() && ({text})"
    results = list(needs.values())
    replacements = [
        (r"\bsuccess\(\)", repr(all(r == "success" for r in results))),
        (r"\bfailure\(\)", repr(any(r == "failure" for r in results))),
        (r"\balways\(\)", "True"),
        (r"\bcancelled\(\)", "False"),
        (r"\bcontains\(needs\.\*\.result,\s*'(\w+)'\)", lambda m: repr(m.group(1) in results)),
        (r"\bneeds\.stacks\.outputs\.(\w+)", lambda m: repr(outputs[m.group(1)])),
        (r"&&", " and "), (r"\|\|", " or "), (r"!(?!=)", " not "), (r"\btrue\b", "True"), (r"\bfalse\b", "False"),
    ]
    for pattern, replacement in replacements:
        text = re.sub(pattern, replacement, text)
    assert re.fullmatch(r"(\s|True|False|and|or|not|\(|\)|!=|==|'[^']*')*", text), f"cannot evaluate: {text}"
    return bool(eval(text, {"__builtins__": {}}))  # noqa: S307 - only literals and operators remain


def simulate(outputs: dict[str, Any], failing: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every job's result for one run: jobs in `failing` fail when they run, the others succeed."""
    text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in outputs.items()}
    results: dict[str, str] = {}
    jobs = DEPLOY["jobs"]
    while len(results) < len(jobs):
        ready = [j for j in jobs if j not in results and all(n in results for n in jobs[j].get("needs", []))]
        assert ready, "the needs graph has a cycle"
        for job_id in ready:
            needs = {n: results[n] for n in jobs[job_id].get("needs", [])}
            runs = evaluate(jobs[job_id].get("if"), needs, text)
            results[job_id] = "skipped" if not runs else "failure" if job_id in failing else "success"
    return results


def push_outputs(stacks: dict[str, list[str]], levels: Optional[dict[str, list[str]]] = None) -> dict[str, Any]:
    """The stacks job's outputs: `stacks` at level 0 of each environment, `levels` by `<env>_<level>`."""
    outputs = {f"{e}_{level}": [] for e in ENVIRONMENTS for level in LEVELS}
    outputs.update({f"{environment}_0": stacks.get(environment, []) for environment in ENVIRONMENTS})
    outputs.update(levels or {})
    return outputs


def test_environments_deploy_in_the_vocabularys_order():
    assert DEPLOY["env"]["ENVIRONMENTS"].split() == list(ENVIRONMENTS)
    assert triggers(DEPLOY)["workflow_dispatch"]["inputs"]["environment"]["options"] == list(ENVIRONMENTS)
    for position, environment in enumerate(ENVIRONMENTS):
        earlier = {job for e in ENVIRONMENTS[:position] for job in LEVEL_JOBS[e]}
        for level, job_id in zip(LEVELS, LEVEL_JOBS[environment]):
            job = DEPLOY["jobs"][job_id]
            assert job["uses"] == "$/.github/workflows/pulumi-up.yml"
            assert job["with"]["environment"] == environment
            assert job["with"]["stacks"] == f"${{{{ needs.stacks.outputs.{environment}_{level} }}}}"
            # Each level waits for the levels below and every job of the earlier environments, directly: a skipped
            # job does not pass a failure on.
            below = set(LEVEL_JOBS[environment][:level])
            assert earlier | below | {"stacks"} == set(job["needs"]), job_id
    assert UP_JOB["environment"] == "${{ inputs.environment }}"
    assert UP_JOB["strategy"]["matrix"]["environment"] == ["${{ inputs.environment }}"]


def test_a_push_deploys_every_environment():
    results = simulate(push_outputs({"dev": ["dev"], "staging": ["staging"], "prod": ["prod"]}))
    assert all(results[UP_JOBS[e]] == "success" for e in ENVIRONMENTS)
    assert all(results[job] == "skipped" for e in ENVIRONMENTS for job in LEVEL_JOBS[e][1:])  # no layer stacks
    assert results["notify"] == "skipped"


def test_layers_deploy_level_by_level_and_a_failed_level_stops_the_rest():
    layers = {"prod_1": ["prod-ml-services", "prod-training"], "prod_2": ["prod-serving-a", "prod-serving-b"],
              "prod_3": ["prod-serving-c"]}
    results = simulate(push_outputs({"dev": ["dev"], "prod": ["prod-foundation"]}, layers))
    assert [results[job] for job in LEVEL_JOBS["prod"]] == ["success"] * 4
    results = simulate(push_outputs({"prod": ["prod-foundation"]}, layers), failing=frozenset({"up-prod-1"}))
    assert [results[job] for job in LEVEL_JOBS["prod"]] == ["success", "failure", "skipped", "skipped"]
    results = simulate(push_outputs({"prod": ["prod-foundation"]}, layers), failing=frozenset({"up-prod-2"}))
    assert results["up-prod-3"] == "skipped"  # level 3 waits for level 2
    assert results["notify"] == "success"
    # A change to one serving layer: levels 0 and 1 have nothing to deploy, level 2 still runs.
    results = simulate(push_outputs({}, {"prod_2": ["prod-serving-a"]}))
    assert (results["up-prod"], results["up-prod-1"], results["up-prod-2"]) == ("skipped", "skipped", "success")
    assert [(job["with"]["max-parallel"]) for job in (DEPLOY["jobs"][j] for j in LEVEL_JOBS["prod"])] == [1, 8, 8, 8]


@pytest.mark.parametrize("failed", ENVIRONMENTS[:-1])
def test_a_failed_environment_stops_the_later_ones_and_notifies(failed: str):
    results = simulate(push_outputs({e: [e] for e in ENVIRONMENTS}), failing=frozenset({UP_JOBS[failed]}))
    later = ENVIRONMENTS[ENVIRONMENTS.index(failed) + 1:]
    assert all(results[job] == "skipped" for e in later for job in LEVEL_JOBS[e]), results
    assert results["notify"] == "success"


def test_a_failed_stack_list_deploys_nothing_and_notifies():
    results = simulate(push_outputs({e: [e] for e in ENVIRONMENTS}), failing=frozenset({"stacks"}))
    assert all(results[UP_JOBS[e]] == "skipped" for e in ENVIRONMENTS)
    assert results["notify"] == "success"


def test_an_environment_with_nothing_to_deploy_does_not_stop_the_next():
    results = simulate(push_outputs({"prod": ["prod"]}))
    assert results[UP_JOBS["prod"]] == "success"
    assert results[UP_JOBS["dev"]] == results[UP_JOBS["staging"]] == "skipped"
    results = simulate(push_outputs({"dev": ["dev"], "prod": ["prod"]}))
    assert results[UP_JOBS["prod"]] == "success"


def job_outputs(step_outputs: dict[str, Any]) -> dict[str, Any]:
    """The stacks job's outputs, mapped from its list step's outputs as the workflow declares them."""
    mapped = {}
    for name, expression in DEPLOY["jobs"]["stacks"]["outputs"].items():
        source = re.fullmatch(r"steps\.list\.outputs\.(\w+)", EXPRESSION.fullmatch(expression).group(1))
        assert source, expression
        mapped[name] = step_outputs[source.group(1)]
    return mapped


def test_the_real_stack_lists_drive_the_graph(layered: Path):
    _, outputs = run_stack_list(DEPLOY, layered, event="repository_dispatch", payload=VALID_PAYLOAD)
    results = simulate(job_outputs(outputs))
    assert [e for e in ENVIRONMENTS if results[UP_JOBS[e]] == "success"] == ["staging"]
    _, outputs = run_stack_list(DEPLOY, ROOT, event="push")
    results = simulate(job_outputs(outputs))
    assert [e for e in ENVIRONMENTS if results[UP_JOBS[e]] == "success"] == [e for e in ENVIRONMENTS if outputs[e]]
    assert {stack for e in ENVIRONMENTS for stack in outputs[e]} == set(STACK_FILES)


# --- properties of every `up` ----------------------------------------------------------------------------------

def render(template: str, **values: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("vars."):
            return f"<{name}>"
        assert name.startswith("matrix."), f"unexpected expression {name}"
        return values[name.removeprefix("matrix.")]

    return EXPRESSION.sub(one, template)


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))


def test_one_concurrency_group_per_stack_never_cancelled():
    assert "concurrency" not in DEPLOY  # a workflow-level group would queue or cancel across stacks
    assert "concurrency" not in UP
    groups: dict[str, set[str]] = {}
    assert UP_JOB["concurrency"]["cancel-in-progress"] is False
    assert UP_JOB["strategy"]["max-parallel"] == "${{ inputs.max-parallel }}"
    for environment, job_id in UP_JOBS.items():
        assert DEPLOY["jobs"][job_id]["with"]["max-parallel"] == 1  # an environment's own stack and foundation
        for stack in (environment, f"{environment}-serving"):
            groups.setdefault(stack, set()).add(render(UP_JOB["concurrency"]["group"], stack=stack,
                                                      environment=environment))
    rendered = [group for stack_groups in groups.values() for group in stack_groups]
    assert all(len(stack_groups) == 1 for stack_groups in groups.values())
    assert len(set(rendered)) == len(rendered)  # two stacks never share a group


def test_every_up_runs_the_pack_with_its_environments_config():
    for environment in ENVIRONMENTS:
        step = pulumi_step(UP_JOB)
        assert step["with"]["command"] == "up"
        assert (ROOT / step["with"]["policyPacks"] / "PulumiPolicy.yaml").is_file()
        config = render(step["with"]["policyPackConfigs"], environment=environment, stack=f"{environment}-serving")
        assert config == f"policies/config/{environment}.json" and (ROOT / config).is_file()
        assert render(step["with"]["stack-name"], stack="prod-serving", environment=environment).endswith(
            "/ml-platform/prod-serving")


def test_the_previews_run_the_pack_with_each_stacks_environment_config():
    _, outputs = run_stack_list(PREVIEW, ROOT, event="pull_request")
    step = pulumi_step(PREVIEW["jobs"]["preview"])
    assert (ROOT / step["with"]["policyPacks"] / "PulumiPolicy.yaml").is_file()
    assert step["with"]["edit-pr-comment"] is True and step["with"]["comment-on-pr"] is True
    for entry in outputs["all"]:
        config = render(step["with"]["policyPackConfigs"], **entry)
        assert config == f"policies/config/{entry['environment']}.json" and (ROOT / config).is_file()


def test_no_matrix_names_a_stack():
    for workflow in (PREVIEW, DEPLOY):
        for job in workflow["jobs"].values():
            matrix = job.get("strategy", {}).get("matrix")
            if matrix is not None:
                source = matrix.get("include", matrix.get("stack"))
                assert isinstance(source, str) and "needs.stacks.outputs." in source, matrix


def test_the_up_jobs_run_the_same_steps():
    callers = [job for job_id, job in DEPLOY["jobs"].items() if job_id.startswith("up-")]
    assert len(callers) == len(ENVIRONMENTS) * len(LEVELS)
    assert all(job["uses"] == "$/.github/workflows/pulumi-up.yml" for job in callers)
    assert all(set(job["secrets"]) == set(triggers(UP)["workflow_call"]["secrets"]) for job in callers)


def test_oidc_tokens_only_where_aws_credentials_are_configured():
    assert DEPLOY["permissions"] == {} and DRIFT["permissions"] == {} and UP["permissions"] == {}
    up_assumes = any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in UP_JOB["steps"])
    for workflow in (PREVIEW, DEPLOY, DRIFT, UP):
        for job_id, job in workflow["jobs"].items():
            assumes = any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
                          for s in job.get("steps", []))
            if job.get("uses") == "$/.github/workflows/pulumi-up.yml":
                assumes = up_assumes  # a called workflow gets no more than its caller grants
            assert (job.get("permissions", {}).get("id-token") == "write") == assumes, job_id
    for job_id, step in steps_of(UP):
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
            # The role comes from the job's GitHub environment (an environment-scoped variable).
            assert "environment" in UP["jobs"][job_id]
            assert step["with"]["role-to-assume"] == "${{ vars.MLPLAT_DEPLOY_ROLE_ARN }}"


def test_untrusted_event_data_never_reaches_a_script():
    for workflow in (PREVIEW, DEPLOY, DRIFT, UP):
        for job_id, step in steps_of(workflow):
            scripts = [step.get("run", ""), step.get("with", {}).get("script", "")]
            for script in scripts:
                for expression in EXPRESSION.findall(script):
                    assert not re.search(r"github\.event\.|inputs\.|client_payload", expression), (job_id, expression)
    payload_reads = [
        (job_id, step.get("name")) for job_id, step in steps_of(DEPLOY)
        if "client_payload" in json.dumps(step.get("env", {}))
    ]
    assert payload_reads == [("stacks", "List the stacks and validate the trigger")]


def test_prod_deploys_on_the_private_runner():
    assert UP_JOB["runs-on"] == "${{ inputs.runner }}"
    for environment, jobs in LEVEL_JOBS.items():
        for job_id in jobs:
            runs_on = DEPLOY["jobs"][job_id]["with"]["runner"]
            assert ("vars.MLPLAT_PRIVATE_RUNNER" in runs_on) == (environment == "prod"), job_id
    preview_runs_on = EXPRESSION.fullmatch(PREVIEW["jobs"]["preview"]["runs-on"]).group(1)
    for environment in ENVIRONMENTS:
        chosen = re.sub(r"matrix\.environment", repr(environment), preview_runs_on)
        chosen = chosen.replace("vars.MLPLAT_PRIVATE_RUNNER", "'private'").replace("&&", " and ").replace("||", " or ")
        expected = "private" if environment == "prod" else "ubuntu-latest"
        assert eval(chosen, {"__builtins__": {}}) == expected  # noqa: S307 - literals and operators only


def test_the_registrys_event_type_triggers_a_deploy():
    types = triggers(DEPLOY)["repository_dispatch"]["types"]
    assert types and all(re.fullmatch(r"[\w.-]{1,100}", t) for t in types)
    for stack in STACK_FILES:
        config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
        deployment = config["ml-platform:platform"].get("model_registry", {}).get("deployment")
        if isinstance(deployment, dict) and "github" in deployment:
            assert deployment["github"].get("event_type", types[0]) in types, stack


def test_forks_get_the_offline_plan_only():
    assert "head.repo.full_name == github.repository" in PREVIEW["jobs"]["preview"]["if"]
    offline = PREVIEW["jobs"]["offline-plan"]
    assert not any("secrets." in str(step) for step in offline["steps"])


def test_actions_are_pinned_to_commits():
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text().splitlines():
            if (match := re.search(r"uses:\s*(\S+)(.*)", line)) and not match.group(1).startswith("$/"):
                ref, comment = match.groups()
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), (path.name, ref)
                assert re.fullmatch(r"\s+# v\d+(\.\d+)*", comment), (path.name, line)


# --- drift.yml ----------------------------------------------------------------------------------------------------

def test_drift_runs_nightly_and_on_demand_over_every_stack():
    assert set(triggers(DRIFT)) == {"schedule", "workflow_dispatch"}
    result, outputs = run_stack_list(DRIFT, ROOT, event="schedule")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(entry["stack"] for entry in outputs["all"]) == STACK_FILES
    assert DRIFT["jobs"]["drift"]["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.stacks.outputs.all) }}"


def test_drift_writes_no_state_and_runs_the_four_checks():
    scripts = "\n".join(step.get("run", "") for _, step in steps_of(DRIFT))
    pulumi_commands = re.findall(r"^\s*pulumi (\S+(?: \S+)?)", scripts, re.M)
    assert pulumi_commands and all(c.startswith(("preview ", "stack export")) for c in pulumi_commands), pulumi_commands
    preview = next(line for line in scripts.splitlines() if line.strip().startswith("pulumi preview"))
    # Changes are told apart by `mlplat drift` (a pending deployment is not drift), not by the exit code.
    assert "--refresh" in preview and "--json" in preview and "--expect-no-changes" not in preview
    assert re.search(r"mlplat drift --stack \S+ --preview live\.json", scripts)
    assert re.search(r"mlplat verify --stack \S+ --state state\.json", scripts)
    assert re.search(r"mlplat audit --stack \S+ --state live\.json", scripts)
    for _, step in steps_of(DRIFT):  # the action only installs the CLI: no command of its own
        if step.get("uses", "").startswith("pulumi/actions@"):
            assert "command" not in step.get("with", {})
    assert "environment" not in DRIFT["jobs"]["drift"]  # prod's reviewer is for deploys, not nightly reads


def test_drift_keeps_one_issue_per_stack():
    step = next(s for _, s in steps_of(DRIFT) if s.get("uses", "").startswith("actions/github-script@"))
    script = step["with"]["script"]
    assert "mlplat-drift:${STACK}" in script and "state: \"closed\"" in script
    assert step["env"]["STACK"] == "${{ matrix.stack }}"
    assert DRIFT["jobs"]["drift"]["permissions"]["issues"] == "write"


def test_drift_of_prod_runs_on_the_private_runner():
    runs_on = EXPRESSION.fullmatch(DRIFT["jobs"]["drift"]["runs-on"]).group(1)
    for environment in ENVIRONMENTS:
        chosen = re.sub(r"matrix\.environment", repr(environment), runs_on)
        chosen = chosen.replace("vars.MLPLAT_PRIVATE_RUNNER", "'private'").replace("&&", " and ").replace("||", " or ")
        assert eval(chosen, {"__builtins__": {}}) == ("private" if environment == "prod" else "ubuntu-latest")  # noqa: S307


def test_every_up_checks_the_quotas_first():
    for job_id in ("up",):
        steps = UP["jobs"][job_id]["steps"]
        preflight = next(i for i, s in enumerate(steps) if "mlplat preflight --stack" in s.get("run", ""))
        credentials = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
        up = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("pulumi/actions@"))
        assert credentials < preflight < up, job_id


# --- layer stacks: levels, and what a change affects ---------------------------------------------------------------

@pytest.fixture
def prod_layers(tmp_path: Path) -> Path:
    """Single stacks for dev and staging; prod as the single stack and as layers, two teams serving."""
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    (tmp_path / "stacks").mkdir()
    for stack in ("dev", "staging", "prod", "prod-foundation", "prod-ml-services", "prod-training",
                  "prod-serving-growth", "prod-serving-fraud"):
        (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    return tmp_path


def test_layer_stacks_deploy_by_level_with_their_layer(prod_layers: Path):
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push")
    assert outputs["prod"] == ["prod", "prod-foundation", "prod-ml-services", "prod-training", "prod-serving-fraud",
                               "prod-serving-growth"]
    entries = {e["stack"]: (e["layer"], e["level"]) for e in outputs["all"]}
    assert entries["prod"] == ("all", 0) and entries["prod-foundation"] == ("foundation", 0)
    assert entries["prod-training"] == ("training", 1) and entries["prod-serving-fraud"] == ("serving-fraud", 2)


def test_the_workflow_script_knows_the_layers_dependencies():
    import importlib.util

    from mlplat.platform.layers import LAYER_DEPENDENCIES

    spec = importlib.util.spec_from_file_location("stacks_script", ROOT / ".github" / "scripts" / "stacks.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.LAYER_DEPENDENCIES == LAYER_DEPENDENCIES


def test_a_change_to_one_teams_serving_layer_deploys_only_that_layer(prod_layers: Path):
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-serving-fraud.yaml"])
    assert (outputs["dev"], outputs["staging"], outputs["prod"]) == ([], [], ["prod-serving-fraud"])
    skipped = {entry["stack"]: entry["reason"] for entry in outputs["skipped"]}
    assert set(skipped) == {"dev", "staging", "prod", "prod-foundation", "prod-ml-services", "prod-training",
                            "prod-serving-growth"}
    assert skipped["prod-foundation"] == "not affected: the change touches stacks/Pulumi.prod-serving-fraud.yaml"


def test_a_layer_change_deploys_the_layers_that_read_it(prod_layers: Path):
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-ml-services.yaml"])
    assert outputs["prod"] == ["prod-ml-services", "prod-serving-fraud", "prod-serving-growth"]
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push",
                                changed=["stacks/Pulumi.prod-foundation.yaml", "README.md"])
    assert outputs["prod"] == ["prod-foundation", "prod-ml-services", "prod-training", "prod-serving-fraud",
                               "prod-serving-growth"]


def test_a_change_to_the_program_deploys_every_stack(prod_layers: Path):
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push",
                                changed=["stacks/Pulumi.prod-serving-fraud.yaml", "components/network.py"])
    assert outputs["prod"][0] == "prod" and len(outputs["prod"]) == 6 and outputs["dev"] == ["dev"]
    assert outputs["skipped"] == []


def test_a_pull_request_plans_the_affected_stacks_and_says_which_it_skipped(prod_layers: Path):
    result, outputs = run_stack_list(PREVIEW, prod_layers, event="pull_request",
                                     changed=["stacks/Pulumi.prod-training.yaml", "stacks/registry.staging.json"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert [e["stack"] for e in outputs["plan"]] == ["staging", "prod-training"]
    assert len(outputs["all"]) == 8 and len(outputs["skipped"]) == 6
    assert all(e["reason"].startswith("not affected: the change touches stacks/Pulumi.prod-training.yaml")
               for e in outputs["skipped"])
    # A registry snapshot answers offline plans: it deploys nothing.
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/registry.prod.json"])
    assert all(outputs[e] == [] for e in ENVIRONMENTS)
    assert "registry snapshots answer offline plans only" in outputs["skipped"][0]["reason"]


def test_an_approval_deploys_the_stacks_that_serve_models(prod_layers: Path):
    payload = {**VALID_PAYLOAD, "environment": "prod",
               "model_package_arn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/mlplat-prod-churn/4"}
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="repository_dispatch", payload=payload)
    assert outputs["prod"] == ["prod", "prod-serving-fraud", "prod-serving-growth"]


def test_the_pull_request_jobs_run_over_the_affected_stacks():
    for job in ("offline-plan", "preview"):
        assert PREVIEW["jobs"][job]["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.stacks.outputs.plan) }}"
        assert "needs.stacks.outputs.plan != '[]'" in PREVIEW["jobs"][job]["if"]


def test_a_serving_change_runs_the_serving_level_of_its_environment_only(prod_layers: Path):
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-serving-fraud.yaml"])
    assert outputs["prod_2"] == ["prod-serving-fraud"] and outputs["prod_0"] == outputs["prod_1"] == []
    results = simulate(job_outputs(outputs))
    assert [job for job, result in results.items() if result == "success"] == ["stacks", "up-prod-2"]
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push")
    assert (outputs["prod_0"], outputs["prod_1"]) == (["prod", "prod-foundation"], ["prod-ml-services", "prod-training"])
    results = simulate(job_outputs(outputs))
    assert all(results[job] == "success" for job in LEVEL_JOBS["prod"][:3])
    assert results["up-prod-3"] == "skipped"  # no serving stack here reads another layer's pipelines


def team_ml_services(prod_layers: Path) -> Path:
    """The fraud team's own ml-services stack, read by its serving stack; growth reads the environment's."""
    stacks = prod_layers / "stacks"
    (stacks / "Pulumi.prod-ml-services-fraud.yaml").write_text(
        "config:\n  ml-platform:platform:\n    environment: prod\n    layer: ml-services-fraud\n")
    (stacks / "Pulumi.prod-serving-fraud.yaml").write_text(
        "config:\n  ml-platform:platform:\n    environment: prod\n    layer: serving-fraud\n    layers:\n"
        "      ml_services: \"ml-services-fraud\"  # the fraud team's families\n")
    return prod_layers


def test_a_team_ml_services_change_deploys_it_and_the_serving_stacks_that_read_it(prod_layers: Path):
    team_ml_services(prod_layers)
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-ml-services-fraud.yaml"])
    assert outputs["prod"] == ["prod-ml-services-fraud", "prod-serving-fraud"]
    assert (outputs["prod_1"], outputs["prod_2"]) == (["prod-ml-services-fraud"], ["prod-serving-fraud"])
    skipped = {entry["stack"]: entry["reason"] for entry in outputs["skipped"]}
    assert "prod-serving-growth" in skipped and "prod-ml-services" in skipped
    # The environment's ml-services stack is read by the serving stacks that do not name a team's.
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-ml-services.yaml"])
    assert outputs["prod"] == ["prod-ml-services", "prod-serving-growth"]
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-foundation.yaml"])
    assert outputs["prod"] == ["prod-foundation", "prod-ml-services", "prod-ml-services-fraud", "prod-training",
                               "prod-serving-fraud", "prod-serving-growth"]
    result, outputs = run_stack_list(PREVIEW, prod_layers, event="pull_request",
                                     changed=["stacks/Pulumi.prod-ml-services-fraud.yaml"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(e["stack"], e["layer"], e["level"]) for e in outputs["plan"]] == [
        ("prod-ml-services-fraud", "ml-services-fraud", 1), ("prod-serving-fraud", "serving-fraud", 2)]


def test_a_serving_stack_whose_ml_services_setting_cannot_be_told_reads_every_ml_services_layer(prod_layers: Path):
    team_ml_services(prod_layers)
    (prod_layers / "stacks" / "Pulumi.prod-serving-growth.yaml").write_text(
        "config:\n  ml-platform:platform:\n    layers:\n      ml_services: ${GROWTH}\n")
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-ml-services-fraud.yaml"])
    assert outputs["prod"] == ["prod-ml-services-fraud", "prod-serving-fraud", "prod-serving-growth"]


def test_a_pipelines_stack_deploys_after_the_registry_it_registers_into(prod_layers: Path):
    stacks = prod_layers / "stacks"
    (stacks / "Pulumi.prod-ml-services-pipelines.yaml").write_text(
        "config:\n  ml-platform:platform:\n    environment: prod\n    layer: ml-services-pipelines\n    layers:\n"
        "      ml_services: ml-services  # the registry (in shared services) its pipelines register into\n")
    # A change to the registry deploys it, then the pipelines stack (it reads the registry's families), a level up.
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-ml-services.yaml"])
    serving = ["prod-serving-fraud", "prod-serving-growth"]  # both read the environment's ml-services here
    assert outputs["prod"] == ["prod-ml-services", "prod-ml-services-pipelines", *serving]
    assert (outputs["prod_1"], outputs["prod_2"]) == (["prod-ml-services"], ["prod-ml-services-pipelines", *serving])
    # A change to the pipelines stack deploys it alone: nothing reads it.
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push",
                                changed=["stacks/Pulumi.prod-ml-services-pipelines.yaml"])
    assert outputs["prod"] == ["prod-ml-services-pipelines"] and outputs["prod_2"] == ["prod-ml-services-pipelines"]
    results = simulate(job_outputs(outputs))
    assert [job for job, result in results.items() if result == "success"] == ["stacks", "up-prod-2"]
    # A pipelines stack over a team's registry is read from its file: the team's change deploys it, not growth's.
    team_ml_services(prod_layers)
    (stacks / "Pulumi.prod-ml-services-pipelines.yaml").write_text(
        "config:\n  ml-platform:platform:\n    layer: ml-services-pipelines\n    layers:\n      ml_services: "
        "'ml-services-fraud'\n")
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-ml-services-fraud.yaml"])
    assert outputs["prod"] == ["prod-ml-services-fraud", "prod-ml-services-pipelines", "prod-serving-fraud"]


def test_a_serving_stack_reading_a_pipelines_stack_deploys_after_it(prod_layers: Path):
    """The three-account layout: the registry in shared services, prod-ml-services (pipelines) over it, and a
    serving stack deploying the registry's families whose drift loop retrains prod-ml-services' pipeline."""
    stacks = prod_layers / "stacks"
    (stacks / "Pulumi.prod-ml-services-registry.yaml").write_text("config:\n  ml-platform:platform:\n    layer: ml-services-registry\n")
    (stacks / "Pulumi.prod-ml-services.yaml").write_text(
        "config:\n  ml-platform:platform:\n    layers:\n      ml_services: ml-services-registry\n"
        "    pipelines:\n      churn:\n        metric: auc\n")
    for team, extra in (("growth", "      pipelines: ml-services  # its drift loops retrain these\n"), ("fraud", "")):
        (stacks / f"Pulumi.prod-serving-{team}.yaml").write_text(
            f"config:\n  ml-platform:platform:\n    layers:\n      ml_services: ml-services-registry\n{extra}")
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-ml-services-registry.yaml"])
    assert outputs["prod"] == ["prod-ml-services-registry", "prod-ml-services", "prod-serving-fraud",
                               "prod-serving-growth"]
    assert [outputs[f"prod_{level}"] for level in LEVELS] == [
        [], ["prod-ml-services-registry"], ["prod-ml-services", "prod-serving-fraud"], ["prod-serving-growth"]]
    # The pipelines' change: that stack, then the serving stack whose drift loops start them (a level up).
    _, outputs = run_stack_list(DEPLOY, prod_layers, event="push", changed=["stacks/Pulumi.prod-ml-services.yaml"])
    assert outputs["prod"] == ["prod-ml-services", "prod-serving-growth"]
    results = simulate(job_outputs(outputs))
    assert [job for job, result in results.items() if result == "success"] == ["stacks", "up-prod-2", "up-prod-3"]
    results = simulate(job_outputs(outputs), failing=frozenset({"up-prod-2"}))
    assert results["up-prod-3"] == "skipped"
