"""`mlplat audit`: the policy pack over a stack export or a refreshed preview, secrets never shown.

The exports are built from the reference prod plan in the shape `pulumi stack export` writes
(deployment version 3, secrets as ciphertext objects), then broken the way console drift breaks
a deployment.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mlplat.core.errors import ConfigError
from mlplat.tooling.cli import EXIT_CHECKS_FAILED, EXIT_CONFIG_ERROR, main
from mlplat.tooling.offline import run_stack
from mlplat.tooling.secrets import SECRET, values_at
from mlplat.tooling.state import SECRET_SIGNATURE, load_deployment

from stack_exports import CIPHERTEXT, SIGNATURE_KEY, export_of

ROOT = Path(__file__).resolve().parents[2]
PLAINTEXT_SECRET = "plaintext-token-3e9f0c"


@pytest.fixture(scope="module")
def prod_export() -> dict:
    return export_of(run_stack(ROOT, "prod"))


def _write(tmp_path: Path, document) -> Path:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def _keys(document: dict) -> list[dict]:
    return [r for r in document["deployment"]["resources"] if r["type"] == "aws:kms/key:Key"]


def test_a_deployed_prod_stack_passes_the_audit(prod_export, tmp_path, capsys):
    assert main(["audit", "--stack", "prod", "--cwd", str(ROOT), "--state", str(_write(tmp_path, prod_export))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Audit of stack 'prod' from the stack export")
    assert "Policies (prod): 0 mandatory" in out


def test_console_drift_in_the_state_is_a_mandatory_violation(prod_export, tmp_path, capsys):
    drifted = copy.deepcopy(prod_export)
    key = _keys(drifted)[0]
    key["inputs"]["enableKeyRotation"] = False
    path = _write(tmp_path, drifted)
    assert main(["audit", "--stack", "prod", "--cwd", str(ROOT), "--state", str(path), "--format", "json"]) == EXIT_CHECKS_FAILED
    report = json.loads(capsys.readouterr().out)
    found = [v for v in report["policyViolations"] if v["urn"] == key["urn"]]
    assert [v["ruleId"] for v in found] == ["MLP-KMS-01"]
    assert report["source"] == "stack export"


def test_the_live_view_of_a_refreshed_preview_is_audited(prod_export, tmp_path, capsys):
    resources = prod_export["deployment"]["resources"]
    key = _keys(prod_export)[0]
    refreshed = copy.deepcopy(key)
    refreshed["inputs"]["enableKeyRotation"] = False
    steps = [{"op": "refresh", "urn": key["urn"], "oldState": key, "newState": refreshed}]
    steps += [{"op": "same", "urn": r["urn"], "oldState": r, "newState": r} for r in resources]
    path = _write(tmp_path, {"steps": steps, "changeSummary": {"same": len(resources)}})
    assert main(["audit", "--stack", "prod", "--cwd", str(ROOT), "--state", str(path)]) == EXIT_CHECKS_FAILED
    out = capsys.readouterr().out
    assert "from the refreshed preview" in out
    assert "MLP-KMS-01" in out


def test_a_resource_the_refresh_found_deleted_is_not_in_the_live_view(prod_export, tmp_path):
    resources = prod_export["deployment"]["resources"]
    key = _keys(prod_export)[0]
    steps = [{"op": "refresh", "urn": key["urn"], "oldState": key}]
    steps += [{"op": "same", "urn": r["urn"], "oldState": r} for r in resources]
    deployment = load_deployment(_write(tmp_path, {"steps": steps}), stack="prod")
    urns = {r.urn for r in deployment.plan.resources}
    assert key["urn"] not in urns
    assert len(urns) == len(resources) - 2  # the key and the root stack


def test_secrets_in_the_state_are_never_shown(prod_export, tmp_path, capsys):
    state = copy.deepcopy(prod_export)
    param = {"urn": "urn:pulumi:prod::ml-platform::aws:ssm/parameter:Parameter::token", "custom": True,
             "type": "aws:ssm/parameter:Parameter", "id": "token",
             "inputs": {"name": "token", "type": "SecureString",
                        "value": {SIGNATURE_KEY: SECRET_SIGNATURE, "plaintext": json.dumps(PLAINTEXT_SECRET)}},
             "outputs": {"value": {SIGNATURE_KEY: SECRET_SIGNATURE, "ciphertext": CIPHERTEXT}}}
    state["deployment"]["resources"].append(param)
    path = _write(tmp_path, state)
    deployment = load_deployment(path, stack="prod")
    assert deployment.plan.by_urn(param["urn"]).secret_paths == ["value"]
    assert deployment.plan.by_urn(param["urn"]).inputs["value"] == SECRET
    assert list(values_at(deployment.plan.outputs, deployment.plan.output_secret_paths)) == [SECRET]  # kubeconfig
    for fmt in ("text", "json", "markdown"):
        main(["audit", "--stack", "prod", "--cwd", str(ROOT), "--state", str(path), "--format", fmt])
        out = capsys.readouterr().out
        assert PLAINTEXT_SECRET not in out and CIPHERTEXT not in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ({"version": 2, "deployment": {"resources": []}}, "is not a deployment version this reads (3"),
        ({"resources": []}, "is neither a `pulumi stack export`"),
        ({"version": 3, "deployment": {"resources": [{"urn": 1}]}}, "has no `urn` and `type` strings"),
        ({"steps": [{"op": "same"}]}, "is not a step object with a `urn`"),
    ],
)
def test_bad_state_files_exit_2_with_one_message(tmp_path, capsys, content, message):
    path = _write(tmp_path, content)
    assert main(["audit", "--stack", "prod", "--cwd", str(ROOT), "--state", str(path)]) == EXIT_CONFIG_ERROR
    captured = capsys.readouterr()
    assert captured.err.startswith("mlplat audit: ") and message in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_a_missing_file_and_an_unknown_stack_exit_2(tmp_path, prod_export, capsys):
    assert main(["audit", "--stack", "prod", "--cwd", str(ROOT), "--state", str(tmp_path / "nope.json")]) == EXIT_CONFIG_ERROR
    assert "is not a file" in capsys.readouterr().err
    path = _write(tmp_path, prod_export)
    assert main(["audit", "--stack", "qa", "--cwd", str(ROOT), "--state", str(path)]) == EXIT_CONFIG_ERROR
    assert "Pulumi.qa.yaml: does not exist" in capsys.readouterr().err


def test_load_deployment_raises_config_error_naming_the_file(tmp_path):
    path = _write(tmp_path, [1, 2])
    with pytest.raises(ConfigError, match="state.json"):
        load_deployment(path, stack="prod")
