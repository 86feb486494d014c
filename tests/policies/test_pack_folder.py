"""The project's pack folder: `mlplat policy-pack init`, reading waivers and settings from the project (a
missing or malformed file is an error naming it), `policy-config` and `plan --policy-pack`, and the pack's
initial configuration. tests/test_wheel.py runs the same from an installed wheel."""

from __future__ import annotations

import json
import shutil
import sysconfig
from pathlib import Path

import pytest
import yaml
from pulumi_policy import EnforcementLevel

from mlplat.core.errors import ConfigError
from mlplat.policies.pack import initial_config
from mlplat.policies.pack_folder import PackFolder, init_pack_folder, pack_definition_text
from mlplat.policies.presets import pack_config, render
from mlplat.policies.rules import ENVIRONMENTS
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main

ROOT = Path(__file__).resolve().parents[2]
TEAM = ROOT / "examples" / "team-stack"
WAIVER = {"rule": "MLP-IAM-01", "finding": "logs:*", "reason": "log delivery needs every logs action",
          "owner": "ml-platform@example.com", "expires": "2030-01-31"}


@pytest.fixture
def folder(tmp_path: Path) -> PackFolder:
    init_pack_folder(tmp_path / "policies")
    return PackFolder(tmp_path / "policies")


def test_init_writes_a_thin_pack_folder_with_the_rules_defaults(tmp_path: Path, capsys):
    assert main(["policy-pack", "init", str(tmp_path / "policies"), "--virtualenv", "../venvs/team"]) == 0
    written = {line.removeprefix("wrote ") for line in capsys.readouterr().out.splitlines() if line.startswith("wrote ")}
    folder = PackFolder(tmp_path / "policies")
    assert written == {str(folder.path / name) for name in
                       ("PulumiPolicy.yaml", "__main__.py", "waivers.yaml", "settings.yaml",
                        "config/dev.json", "config/staging.json", "config/prod.json")}
    definition = yaml.safe_load((folder.path / "PulumiPolicy.yaml").read_text())
    assert definition["runtime"] == {"name": "python", "options": {"virtualenv": "../venvs/team"}}
    assert "from mlplat.policies.pack import serve" in (folder.path / "__main__.py").read_text()
    assert folder.waivers() == {env: [] for env in ENVIRONMENTS}
    assert folder.settings() == {env: {} for env in ENVIRONMENTS}
    for env in ENVIRONMENTS:
        assert folder.config_file(env).read_text() == render(pack_config(env))
    assert folder.stale_configs() == []


def test_init_refuses_to_overwrite_unless_forced(folder: PackFolder, capsys):
    folder.waivers_file.write_text(f"dev: [{json.dumps(WAIVER)}]\n")
    assert main(["policy-pack", "init", str(folder.path)]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert f"{folder.waivers_file}: already exists (pass --force to overwrite it)" in err
    assert folder.waivers()["dev"] == [WAIVER]
    assert main(["policy-pack", "init", str(folder.path), "--force"]) == 0
    assert folder.waivers()["dev"] == []


def test_the_reference_pack_folder_is_a_thin_pack_like_any_projects():
    reference = PackFolder(ROOT / "policies")
    assert (reference.path / "PulumiPolicy.yaml").read_text() == pack_definition_text("../.venv")
    assert (reference.path / "__main__.py").read_text() == (TEAM / "policies" / "__main__.py").read_text()
    assert reference.stale_configs() == []


def test_waivers_and_settings_come_from_the_folder(folder: PackFolder):
    folder.waivers_file.write_text(yaml.safe_dump({"dev": [{**WAIVER, "expires": "2030-01-31"}]}))
    folder.settings_file.write_text("dev:\n  MLP-EP-02: {min_instances: 3}\n")
    config = folder.pack_config("dev")
    assert config["mlplat-iam-no-wildcard-permissions"]["waivers"] == [WAIVER]
    assert config["mlplat-sagemaker-endpointconfig-require-multiple-instances"]["min_instances"] == 3
    assert folder.stale_configs() == [folder.config_file("dev")]
    assert folder.pack_config("prod")["mlplat-iam-no-wildcard-permissions"]["waivers"] == []


def test_an_unquoted_date_reads_as_the_date_it_says(folder: PackFolder):
    folder.waivers_file.write_text("prod:\n  - {rule: MLP-S3-06, reason: a reason long enough, owner: me, expires: 2030-01-31}\n")
    assert folder.waivers()["prod"][0]["expires"] == "2030-01-31"


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("waivers.yaml", None, "waivers.yaml: is missing: the pack folder needs it"),
    ("settings.yaml", None, "settings.yaml: is missing: the pack folder needs it"),
    ("waivers.yaml", "dev: [\n", "waivers.yaml: line 2, column 1: is not valid YAML"),
    ("waivers.yaml", "- rule: MLP-S3-06\n", "waivers.yaml: (top level): [{'rule': 'MLP-S3-06'}] is not a mapping of environment"),
    ("waivers.yaml", "qa: []\n", "waivers.yaml: qa: is not an environment (allowed: dev, staging, prod)"),
    ("waivers.yaml", "dev:\n  - {rule: MLP-S3-06, owner: me, expires: 2030-01-01}\n", "waivers.yaml: dev.0.reason: is required"),
    ("waivers.yaml", "dev:\n  - {rule: MLP-S3-06, reason: long enough here, owner: me, expires: 2030-13-01}\n",
     "waivers.yaml: dev.0.expires: '2030-13-01' is not valid"),
    ("waivers.yaml", "dev:\n  - {rule: MLP-S3-06, reason: long enough here, owner: me, expires: 2030-01-01, until: x}\n",
     "waivers.yaml: dev.0.until: is not a known key"),
    ("settings.yaml", "dev:\n  MLP-REG-01: {allowed_acounts: []}\n", "settings.yaml: dev.MLP-REG-01.allowed_acounts: is not a known key"),
    ("settings.yaml", "dev:\n  MLP-S3-02: {}\n", "settings.yaml: dev.MLP-S3-02: names no rule with settings"),
    ("settings.yaml", "prod:\n  MLP-EP-02: {min_instances: two}\n", "settings.yaml: prod.MLP-EP-02.min_instances: 'two' is not valid"),
])
def test_a_missing_or_malformed_file_is_an_error_naming_it(folder: PackFolder, name: str, text, expected: str, capsys):
    path = folder.path / name
    if text is None:
        path.unlink()
    else:
        path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        folder.pack_config("dev")
    assert f"{folder.path}/{expected}" in str(raised.value)
    assert main(["policy-config", "--policy-pack", str(folder.path)]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert err.startswith("mlplat policy-config: invalid configuration") and f"{folder.path}/{expected}" in err


def test_every_problem_of_both_files_is_reported_at_once(folder: PackFolder):
    folder.waivers_file.write_text("qa: []\n")
    folder.settings_file.unlink()
    with pytest.raises(ConfigError) as raised:
        folder.check()
    assert [p.split(": ", 1)[0] for p in raised.value.paths] == [str(folder.waivers_file), str(folder.settings_file)]


def test_policy_config_writes_into_the_pack_folder(folder: PackFolder, capsys):
    folder.waivers_file.write_text(yaml.safe_dump({"dev": [WAIVER]}))
    assert main(["policy-config", "--policy-pack", str(folder.path)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"wrote {folder.config_file(env)}" for env in ENVIRONMENTS]
    assert json.loads(folder.config_file("dev").read_text())["mlplat-iam-no-wildcard-permissions"]["waivers"] == [WAIVER]
    assert folder.stale_configs() == []


def test_nothing_is_written_into_the_installed_packages(folder: PackFolder, capsys):
    installed = Path(sysconfig.get_paths()["purelib"]) / "mlplat-pack-folder-test"
    assert main(["policy-pack", "init", str(installed)]) == EXIT_CONFIG_ERROR
    assert "is inside the installed packages" in capsys.readouterr().err
    assert not installed.exists()
    with pytest.raises(ConfigError, match="is inside the installed packages"):
        folder.write_configs(installed / "config")
    assert not installed.exists()


def test_policy_config_needs_a_pack_folder(tmp_path: Path, capsys):
    assert main(["policy-config", "--policy-pack", str(tmp_path)]) == EXIT_CONFIG_ERROR
    assert f"{tmp_path}: is not a pack folder (it has no PulumiPolicy.yaml)" in capsys.readouterr().err


def test_initial_configuration_is_the_folders_for_the_environment_told(folder: PackFolder):
    folder.waivers_file.write_text(yaml.safe_dump({"staging": [WAIVER]}))
    initial = initial_config(folder, "staging")
    entry = initial["mlplat-iam-no-wildcard-permissions"]
    assert entry["enforcementLevel"] is EnforcementLevel.MANDATORY
    assert entry["environment"] == "staging" and entry["waivers"] == [WAIVER]
    assert initial_config(folder, None) is None
    folder.settings_file.write_text("staging: []\n")
    with pytest.raises(ConfigError, match="settings.yaml: staging: \\[\\] is not a mapping"):
        initial_config(folder, None)  # checked even when the environment is not known


# --- mlplat plan ------------------------------------------------------------------------------------------


@pytest.fixture
def team(tmp_path: Path) -> Path:
    project = tmp_path / "team-stack"
    shutil.copytree(TEAM, project, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return project


def test_plan_reads_the_projects_pack_folder(team: Path, capsys):
    assert main(["plan", "--stack", "dev", "--cwd", str(team)]) == 0
    out = capsys.readouterr().out
    assert "Policies (dev): 0 mandatory, 0 advisory, 1 waived" in out
    assert f"levels, waivers and settings: pack folder {team / 'policies'}/" in out
    assert "waived    MLP-GOV-02" in out


def test_plan_without_a_pack_folder_uses_the_rules_defaults_and_says_so(team: Path, capsys):
    shutil.rmtree(team / "policies")
    main(["plan", "--stack", "dev", "--cwd", str(team)])
    out = capsys.readouterr().out
    assert f"the rules' defaults, no waivers (no pack folder: {team / 'policies'} has no PulumiPolicy.yaml" in out
    assert "waived    MLP-GOV-02" not in out


def test_plan_refuses_a_pack_folder_it_cannot_read(team: Path, tmp_path: Path, capsys):
    (team / "policies" / "settings.yaml").unlink()
    assert main(["plan", "--stack", "dev", "--cwd", str(team)]) == EXIT_CONFIG_ERROR
    captured = capsys.readouterr()
    assert f"{team / 'policies' / 'settings.yaml'}: is missing" in captured.err and captured.out == ""
    assert main(["plan", "--stack", "dev", "--cwd", str(team), "--policy-pack", str(tmp_path / "nowhere")]) == EXIT_CONFIG_ERROR
    assert f"{tmp_path / 'nowhere'}: does not exist" in capsys.readouterr().err


def test_plan_refuses_a_missing_or_malformed_policy_pack_config(team: Path, capsys):
    missing = team / "absent.json"
    assert main(["plan", "--stack", "dev", "--cwd", str(team), "--policy-pack-config", str(missing)]) == EXIT_CONFIG_ERROR
    assert f"--policy-pack-config: '{missing}' is not a file" in capsys.readouterr().err
    (team / "broken.json").write_text("{")
    assert main(["plan", "--stack", "dev", "--cwd", str(team), "--policy-pack-config", str(team / "broken.json")]) == EXIT_CONFIG_ERROR
    assert "is not JSON" in capsys.readouterr().err


def test_plan_says_when_no_environment_is_told_for_the_pack_folder(team: Path, capsys):
    (team / "Pulumi.sandbox.yaml").write_text((team / "Pulumi.dev.yaml").read_text())
    main(["plan", "--stack", "sandbox", "--cwd", str(team)])
    out = capsys.readouterr().out
    assert "Policies (told by the pack)" in out
    assert "note: the environment is not told by --environment, the stack config or the stack name" in out
    assert main(["plan", "--stack", "sandbox", "--cwd", str(team), "--environment", "dev"]) == 0
    assert "Policies (dev): 0 mandatory, 0 advisory, 1 waived" in capsys.readouterr().out
