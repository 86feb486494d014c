"""Secrets are `[secret]` in every plan format, in diagnostics, in reprs and in test-kit failures.

One program uses every kind of secret the engine hides: secret config (read as a secret and as
plain text), an `Output.secret` input, the outputs of a resource whose input was secret,
`additionalSecretOutputs`, and a secret stack export; its diagnostics repeat a secret in a message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from mlplat.tooling.offline import run_callable, run_stack
from mlplat.tooling.plan import PlannedResource
from mlplat.tooling.report import PlanReport, render_json, render_markdown, render_text
from mlplat.tooling.secrets import SECRET, Redactor, redact_paths
from mlplat.tooling.testing import OutputChecks

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_TOKEN = "ghp-config-token-8f3a1c"
INLINE_SECRET = "inline-password-77d2e"
EXPORTED_SECRET = "kube-bearer-token-41bb9"
SHORT_SECRET = "ab"  # shorter than the masked minimum: hidden at its path only
SECRETS = (CONFIG_TOKEN, INLINE_SECRET, EXPORTED_SECRET)


def program() -> None:
    config = pulumi.Config("team")
    token = config.require_secret("token")
    plain_token = config.get("token")  # read without get_secret: still secret config to the engine
    from_config = aws.ssm.Parameter("from-config", type="SecureString", value=token)
    inline = aws.ssm.Parameter("inline", type="SecureString", value=pulumi.Output.secret(INLINE_SECRET))
    short = aws.ssm.Parameter("short", type="SecureString", value=pulumi.Output.secret(SHORT_SECRET))
    hidden_arn = aws.sns.Topic("hidden-arn", opts=pulumi.ResourceOptions(additional_secret_outputs=["arn"]))
    pulumi.log.warn(f"rotating the token {plain_token}")
    pulumi.export("derived", inline.value.apply(lambda v: f"{v}-derived"))
    pulumi.export("topic_arn", hidden_arn.arn)
    pulumi.export("kubeconfig", pulumi.Output.secret({"token": EXPORTED_SECRET}))
    pulumi.export("parameter_name", from_config.name)
    pulumi.export("short_value", short.value)


@pytest.fixture(scope="module")
def plan():
    return run_callable(program, config={"team:token": CONFIG_TOKEN}, secret_keys=("team:token",))


@pytest.mark.parametrize("render", [render_text, render_markdown, render_json], ids=["text", "markdown", "json"])
def test_no_secret_in_any_format(plan, render):
    rendered = render(PlanReport(plan))
    for secret in SECRETS:
        assert secret not in rendered
    assert f"{INLINE_SECRET}-derived" not in rendered
    assert SECRET in rendered


def test_the_diagnostic_keeps_its_message_with_the_secret_masked(plan):
    assert any(CONFIG_TOKEN in d.message for d in plan.diagnostics)  # the program did print it
    assert f"rotating the token {SECRET}" in render_text(PlanReport(plan))


def test_json_keeps_the_fact_that_a_value_is_secret(plan):
    document = json.loads(render_json(PlanReport(plan)))
    states = {s["urn"].rsplit("::", 1)[1]: s["newState"] for s in document["steps"]}
    outputs = states["project-test"]["outputs"]
    assert outputs["kubeconfig"] == SECRET
    assert outputs["derived"] == SECRET  # derived from a secret output: secret too
    assert outputs["topic_arn"] == SECRET  # additionalSecretOutputs
    assert outputs["short_value"] == SECRET
    assert outputs["parameter_name"] != SECRET  # not every value becomes secret
    assert states["from-config"]["inputs"]["value"] == SECRET
    assert states["from-config"]["outputs"]["value"] == SECRET
    assert states["short"]["inputs"]["value"] == SECRET
    assert states["hidden-arn"]["outputs"]["arn"] == SECRET
    assert states["hidden-arn"]["outputs"]["name"] != SECRET


def test_the_plan_records_where_the_secrets_are(plan):
    assert plan.named("inline").secret_paths == ["value"]
    assert "value" in plan.named("inline").output_secret_paths
    assert plan.named("hidden-arn").output_secret_paths == ["arn"]
    assert sorted(plan.output_secret_paths) == ["derived", "kubeconfig", "short_value", "topic_arn"]
    assert plan.shown_config["team:token"] == SECRET


def test_reprs_hide_secrets(plan):
    text = repr(plan.named("inline")) + repr(plan.named("short")) + repr(plan)
    assert INLINE_SECRET not in text and f"'{SHORT_SECRET}'" not in text
    assert SECRET in text


def test_a_failed_check_on_a_secret_output_does_not_print_it():
    checks = OutputChecks()

    def checked() -> None:
        checks.on(pulumi.Output.secret(INLINE_SECRET), lambda v: _assert_equal(v, "expected"))

    with pytest.raises(Exception) as failure:
        run_callable(checked)
    assert INLINE_SECRET not in str(failure.value)
    assert SECRET in str(failure.value)


def test_a_failed_check_on_a_plain_output_shows_its_value():
    checks = OutputChecks()

    def checked() -> None:
        checks.on(pulumi.Output.from_input("plain-value-1234"), lambda v: _assert_equal(v, "expected"))

    with pytest.raises(Exception) as failure:
        run_callable(checked)
    assert "plain-value-1234" in str(failure.value)


def _assert_equal(value, expected):
    assert value == expected, f"got {value!r}"


def test_the_reference_prod_kubeconfig_is_never_shown():
    plan = run_stack(REPO_ROOT, "prod")
    kubeconfig = plan.outputs["kubeconfig"]
    assert "kubeconfig" in plan.output_secret_paths
    for render in (render_text, render_markdown, render_json):
        rendered = render(PlanReport(plan))
        assert json.dumps(kubeconfig)[1:40] not in rendered
        assert "us-east-1" in rendered  # the kubeconfig's region is no secret elsewhere in the plan


def test_redact_paths_and_redactor():
    value = {"a": {"b": "s3cret-value", "c": ["x", "long-secret-2"]}, "d": "keep"}
    assert redact_paths(value, ["a.b", "a.c[1]"]) == {"a": {"b": SECRET, "c": ["x", SECRET]}, "d": "keep"}
    assert redact_paths(value, [""]) == SECRET
    redactor = Redactor.of([value["a"]["b"], 'quote"d-secret', "ab"])
    assert redactor.text("x s3cret-value y") == f"x {SECRET} y"
    assert redactor.text(json.dumps({"m": 'quote"d-secret'})) == json.dumps({"m": SECRET})
    assert redactor.text("ab cab") == "ab cab"  # too short to mask as text
    # A secret structure is masked whole; its members (a region, a cluster name) are not secrets on their own.
    structure = {"region": "us-east-1", "token": "nested-secret-9"}
    secret_structure = Redactor.of([structure])
    assert secret_structure.text(f"x {json.dumps(structure)} y") == f"x {SECRET} y"
    assert secret_structure.text("deployed in us-east-1") == "deployed in us-east-1"


def test_planned_resource_secret_values():
    resource = PlannedResource(urn="u", type="t", name="n", custom=True, parent=None,
                               inputs={"a": "in-secret"}, outputs={"b": "out-secret", "c": "plain"},
                               secret_paths=["a"], output_secret_paths=["b"])
    assert resource.secret_values == ["in-secret", "out-secret"]
