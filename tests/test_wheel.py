"""mlplat as another project uses it: the wheel built from this repository, installed in a fresh virtualenv,
plans examples/team-stack (its own `components` package, its own pack folder) and serves the policy pack.

The virtualenv is made once per run (shared by xdist workers): `python -m venv` without pip, then this
repository's pip installs the wheel into it with `-c constraints.txt --no-index`. Its dependencies come
from this environment's site-packages, hard-linked file by file from each distribution's RECORD: only the
wheel's runtime dependencies (and pytest, which the team's tests use), so a dependency the wheel forgets
to declare fails the install. `MLPLAT_WHEEL_TEST_INDEX=1` installs them from the package index instead,
as a user would (minutes instead of seconds). Every command then runs with that virtualenv only, from a
copy of the team project.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Iterator

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
TEAM = ROOT / "examples" / "team-stack"
# What the build reads (pyproject's packages, package-dir and readme): copied alone, so tests that write into
# the working tree while the wheel is built cannot race with the copy.
SOURCE_FILES = ("pyproject.toml", "README.md")
SOURCE_FOLDERS = ("mlplat", "components", "policies")
SOURCE_IGNORED = ("__pycache__", "*.pyc")
# The reference project's own pack-folder files: they live in policies/ (the package's folder) but are not library data.
REFERENCE_PROJECT_FILES = re.compile(r"^policies/(PulumiPolicy\.yaml|waivers\.yaml|settings\.yaml|config/.*\.json)$")
PACKAGE_ROOTS = {"mlplat": "mlplat", "components": "mlplat/components", "policies": "mlplat/policies"}
TEAM_TOOLS = ("pytest",)  # what the team installs beside mlplat to run its tests
COMPONENT_TYPES = {
    "mlplat:artifact_store:ArtifactStore": "artifacts",
    "mlplat:feature_store:FeatureStore": "features",
    "mlplat:serving:ServingEndpoint": "propensity",
}


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A directory every xdist worker of this run sees (the base temp of the run)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if worker_id != "master" else base) / "wheel-test"


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def wheel(shared_dir: Path) -> Path:
    """The wheel, built once from a copy of the working tree (a build leaves build/ and egg-info behind)."""
    with _locked(shared_dir):
        built = sorted((shared_dir / "dist").glob("mlplat-*.whl"))
        if built:
            return built[0]
        source = shared_dir / "source"
        shutil.rmtree(source, ignore_errors=True)
        source.mkdir(parents=True)
        for name in SOURCE_FILES:
            shutil.copy2(ROOT / name, source / name)
        for name in SOURCE_FOLDERS:
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns(*SOURCE_IGNORED))
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
              "-w", str(shared_dir / "dist"), str(source)])
        return next((shared_dir / "dist").glob("mlplat-*.whl"))


@pytest.fixture(scope="session")
def venv(shared_dir: Path, wheel: Path) -> Path:
    """A fresh virtualenv with the wheel installed under the pinned constraints."""
    target = shared_dir / "venv"
    with _locked(shared_dir):
        if (target / ".ready").is_file():
            return target
        shutil.rmtree(target, ignore_errors=True)
        _run([sys.executable, "-m", "venv", "--without-pip", str(target)])
        python = target / "bin" / "python"
        pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "-c", str(ROOT / "constraints.txt")]
        if os.environ.get("MLPLAT_WHEEL_TEST_INDEX") == "1":
            _run([*pip, str(wheel), *TEAM_TOOLS])
        else:
            _link_distributions(_closure([*_requires_of(wheel), *TEAM_TOOLS]), _site_packages(python))
            _run([*pip, "--no-index", str(wheel)])
        _run([sys.executable, "-m", "pip", "--python", str(python), "check"])
        (target / ".ready").write_text("")
        return target


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A copy of the team project (commands write into it)."""
    project = tmp_path / "team-stack"
    shutil.copytree(TEAM, project, ignore=shutil.ignore_patterns(".venv", "__pycache__", ".pytest_cache"))
    return project


# --- the wheel ---------------------------------------------------------------------------------------------


def test_the_wheel_ships_every_module_and_data_file_and_no_reference_project_files(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected, reference = set(), set()
    for top, installed in PACKAGE_ROOTS.items():
        for path in (ROOT / top).rglob("*"):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            if top == "mlplat" and relative.split("/")[1] in ("components", "policies"):
                continue  # an editable install's leftovers: the folders are mapped from the top
            if REFERENCE_PROJECT_FILES.match(relative):
                reference.add(installed + "/" + path.relative_to(ROOT / top).as_posix())
            else:
                expected.add(installed + "/" + path.relative_to(ROOT / top).as_posix())
    assert reference, "the reference pack folder's files were not found"
    assert sorted(expected - names) == [], "modules or data files the library needs are missing from the wheel"
    assert sorted(reference & names) == [], "the reference project's waivers, settings or config ship as library data"
    shipped = {n for n in names if not n.startswith("mlplat-")}
    assert sorted(shipped - expected) == [], "the wheel ships files that are not in the source tree"
    assert not [n for n in names if re.search(r"(^|/)(waivers|settings)\.yaml$|(^|/)config/(dev|staging|prod)\.json$", n)]


# --- the team project, with the fresh virtualenv only ------------------------------------------------------


def test_the_installed_wheel_plans_the_team_project_with_its_own_pack_folder(venv: Path, team: Path):
    result = _mlplat(venv, team, "plan", "--stack", "dev", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    components = {(s["newState"]["type"], s["urn"].rsplit("::", 1)[-1]) for s in doc["steps"]}
    assert set(COMPONENT_TYPES.items()) <= components
    assert doc["policyEnvironment"] == "dev"
    assert doc["policySource"] == "pack folder policies/"
    assert [v["ruleId"] for v in doc["policyViolations"]] == []
    assert [v["ruleId"] for v in doc["policyWaived"]] == ["MLP-GOV-02"], doc["policyWaived"]
    assert "growth-ml@example.com" in doc["policyWaived"][0]["message"]


def test_without_its_waiver_the_finding_is_reported(venv: Path, team: Path):
    waivers = team / "policies" / "waivers.yaml"
    waivers.write_text(re.sub(r"(?ms)^dev:\n.*?(?=^staging:)", "dev: []\n", waivers.read_text()))
    result = _mlplat(venv, team, "plan", "--stack", "dev", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [v["ruleId"] for v in doc["policyViolations"]] == ["MLP-GOV-02"]
    assert doc["policyWaived"] == []
    assert any("is stale" in note for note in doc["policyNotes"]), doc.get("policyNotes")


def test_a_malformed_waivers_file_fails_the_plan_naming_it(venv: Path, team: Path):
    (team / "policies" / "waivers.yaml").write_text("dev:\n  - rule: MLP-GOV-02\n")
    result = _mlplat(venv, team, "plan", "--stack", "dev")
    assert result.returncode == 2
    assert "policies/waivers.yaml: dev.0.reason: is required" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_policy_config_writes_into_the_project_and_never_into_site_packages(venv: Path, team: Path):
    site_packages = _site_packages(venv / "bin" / "python")
    before = _tree(site_packages)
    shutil.rmtree(team / "policies" / "config")
    result = _mlplat(venv, team, "policy-config")
    assert result.returncode == 0, result.stderr
    dev = json.loads((team / "policies" / "config" / "dev.json").read_text())
    assert dev["mlplat-stack-environment-declared"]["waivers"][0]["rule"] == "MLP-GOV-02"
    assert dev["mlplat-sagemaker-endpointconfig-enable-data-capture"]["min_sampling_percentage"] == 20
    for env in ("dev", "staging", "prod"):  # the committed files are what the command writes
        assert (team / "policies" / "config" / f"{env}.json").read_text() == (TEAM / "policies" / "config" / f"{env}.json").read_text()
    assert _tree(site_packages) == before
    installed = site_packages / "mlplat" / "policies"
    refused = _mlplat(venv, team, "policy-config", "--policy-pack", str(installed))
    assert refused.returncode == 2 and "is not a pack folder" in refused.stderr


def test_the_team_components_package_is_the_teams_own(venv: Path, team: Path):
    script = "import components, mlplat.components; print(components.__file__); print(mlplat.components.__file__)"
    result = subprocess.run([str(venv / "bin" / "python"), "-c", script], cwd=team, env=_env(venv),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    own, library = result.stdout.split()
    assert Path(own) == team / "components" / "__init__.py"
    assert Path(library) == _site_packages(venv / "bin" / "python") / "mlplat" / "components" / "__init__.py"


def test_the_team_tests_pass_with_the_installed_plugin(venv: Path, team: Path):
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-W", "ignore::DeprecationWarning"],
                            cwd=team, env=_env(venv), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"\b3 passed\b", result.stdout), result.stdout[-1000:]


# --- the pack, served from the installed wheel as the Pulumi CLI runs it -----------------------------------


def test_the_pack_folder_serves_the_installed_rules_with_the_projects_waivers(venv: Path, team: Path):
    from pulumi.runtime.proto import analyzer_pb2

    from mlplat.tooling.policy_runner import _configure_request  # the engine's merge of defaults, initial config and file

    with _served_pack(venv, team / "policies") as analyzer:
        info = analyzer.GetAnalyzerInfo(_empty())
        initial = {name: config for name, config in info.initialConfig.items()}
        declared = initial["mlplat-stack-environment-declared"]
        assert declared.properties["environment"] == "dev"
        assert [w["rule"] for w in declared.properties["waivers"]] == ["MLP-GOV-02"]
        capture = initial["mlplat-sagemaker-endpointconfig-enable-data-capture"]
        assert capture.properties["min_sampling_percentage"] == 20
        analyzer.Configure(_configure_request(info, {}))
        analyzer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
            stack="dev", project="growth-ml", organization="organization", dry_run=True))
        response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[]))
    messages = {d.policyName: d.message for d in response.diagnostics}
    assert "mlplat-stack-environment-declared" not in messages, messages
    waived = [m for m in messages.values() if "[MLP-GOV-02] waived:" in m]
    assert waived and "growth-ml@example.com" in waived[0], messages


def test_the_pack_refuses_to_start_with_a_malformed_waivers_file(venv: Path, team: Path):
    (team / "policies" / "waivers.yaml").write_text("prod: {not: a list}\n")
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pulumi.policy", "127.0.0.1:1", str(team / "policies")],
                            cwd=team / "policies", env=_env(venv, PULUMI_STACK="dev"), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert f"{team / 'policies' / 'waivers.yaml'}: prod: {{'not': 'a list'}} is not a list of waivers" in result.stderr
    assert "Traceback" not in result.stderr


# --- helpers -----------------------------------------------------------------------------------------------


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def _env(venv: Path, **extra: str) -> dict[str, str]:
    """The fresh virtualenv alone: its bin first on PATH, no PYTHONPATH, no sign of this repository's venv."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE")}
    return {**keep, "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin", "VIRTUAL_ENV": str(venv), **extra}


def _mlplat(venv: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "mlplat"), *args], cwd=project, env=_env(venv), capture_output=True,
                          text=True, timeout=600)


def _site_packages(python: Path) -> Path:
    result = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True)
    return Path(result.stdout.strip())


def _tree(directory: Path) -> dict[str, int]:
    return {p.relative_to(directory).as_posix(): p.stat().st_mtime_ns for p in directory.rglob("*")
            if "__pycache__" not in p.parts}


def _requires_of(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(meta).decode()
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]


def _closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The distributions of this environment that `requirements` need at run time (markers evaluated, no
    test extras), transitively; a requirement this environment cannot satisfy fails here."""
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(Requirement(r), "") for r in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        dist = found.get(name) or metadata.distribution(requirement.name)
        assert dist.version in requirement.specifier, f"this environment has {name} {dist.version}, not {requirement}"
        found[name] = dist
        key = (name, frozenset(requirement.extras))
        if key not in seen:
            seen.add(key)
            pending += [(Requirement(line), wanted) for line in dist.requires or [] for wanted in ("", *requirement.extras)]
    return list(found.values())


def _link_distributions(distributions: list[metadata.Distribution], site_packages: Path) -> None:
    """Install `distributions` by hard-linking the files of their RECORD (a copy across file systems)."""
    for dist in distributions:
        for file in dist.files or []:
            if file.parts[0] == "..":
                continue  # scripts and headers outside site-packages: not needed to import
            source, target = Path(dist.locate_file(file)), site_packages / file
            if not source.is_file() or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)


def _empty():
    from google.protobuf import empty_pb2

    return empty_pb2.Empty()


@contextlib.contextmanager
def _served_pack(venv: Path, folder: Path) -> Iterator[object]:
    """The pack folder run as `pulumi preview --policy-pack` runs a Python pack, and a client of its analyzer."""
    import grpc
    from pulumi.runtime.proto import analyzer_pb2_grpc

    process = subprocess.Popen(
        [str(venv / "bin" / "python"), "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(folder)], cwd=folder,
        env=_env(venv, PULUMI_PROJECT="growth-ml", PULUMI_STACK="dev", PULUMI_DRY_RUN="true", PULUMI_CONFIG="{}"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the pack did not start: {port!r} {process.stderr.read() if process.poll() is not None else ''}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=60)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()
