"""pytest plugin: test Pulumi programs with mlplat's engine-faithful offline runner.

Installed with mlplat, it registers itself (entry point `pytest11`); add `-p no:mlplat` to opt
out. Fixtures:

- `mlplat_run(program, **options) -> Plan`: runs a program (any callable that declares
  resources) to completion and returns everything it declared. Assertions then read plain data,
  never the inside of an `apply`. Options are those of `mlplat.offline.run_callable`, plus
  `stack_file="dev"` to load config from the project's `Pulumi.dev.yaml` (secrets become
  "[secret]"), `stack_references={"org/proj/stack": {"vpc_id": "vpc-..."}}` and
  `invoke_results={"aws:ec2/getAmi:getAmi": {...}}` (or a list of `{"args": ..., "result": ...}`
  entries matched by the call's arguments), both as plain dictionaries.
- `mlplat_stack(stack, **options) -> Plan`: runs the project's own program with a stack file.
- `mlplat_checks`: for the rare test that must look inside an Output during the program.
  `mlplat_checks.on(output, fn)` runs `fn(value)` when the value resolves; the test fails if a
  registered check never ran or ran on an unknown value (a check that cannot fail silently).

The project directory is pytest's rootdir unless `--mlplat-project DIR` says otherwise.

Loading the plugin costs nothing until a test asks for one of its fixtures: the offline runner,
the Pulumi SDK and the provider SDKs are imported by the fixtures, not here (pytest loads the
plugin in every run of every project where mlplat is installed).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

import pytest

if TYPE_CHECKING:
    import pulumi

    from .plan import Plan

__all__ = ["OutputChecks", "mlplat_checks", "mlplat_run", "mlplat_stack", "pytest_addoption"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlplat")
    group.addoption("--mlplat-project", default=None, help="Pulumi project directory (default: rootdir)")


def _project_dir(config: pytest.Config) -> Path:
    option = config.getoption("--mlplat-project")
    return Path(option) if option else Path(config.rootpath)


@pytest.fixture
def mlplat_run(request: pytest.FixtureRequest) -> Callable[..., Plan]:
    project_dir = _project_dir(request.config)

    def run(
        program: Callable[[], Any],
        *,
        stack_file: Optional[str] = None,
        config: Optional[Mapping[str, Any]] = None,
        **options: Any,
    ) -> Plan:
        from .offline import run_callable
        from .stackfile import load_project, load_stack_config

        values: dict[str, Any] = dict(config or {})
        secret_keys: tuple[str, ...] = ()
        if stack_file is not None:
            project = load_project(project_dir)
            stack_config = load_stack_config(project, stack_file).with_overrides(config)
            values = dict(stack_config.values)
            secret_keys = stack_config.secret_keys
            options.setdefault("project", project.name)
            options.setdefault("stack", stack_file)
            options.setdefault("region", stack_config.region)
            if stack_config.account:
                options.setdefault("account", stack_config.account)
        return run_callable(program, config=values, secret_keys=secret_keys, **options)

    return run


@pytest.fixture
def mlplat_stack(request: pytest.FixtureRequest) -> Callable[..., Plan]:
    project_dir = _project_dir(request.config)

    def run(stack: str, **options: Any) -> Plan:
        from .offline import run_stack

        return run_stack(options.pop("cwd", project_dir), stack, **options)

    return run


@dataclass
class _Check:
    where: str
    ran: bool = False
    unknown: bool = False


@dataclass
class OutputChecks:
    """Checks on Output values that must run, on known values, for the test to pass."""

    checks: list[_Check] = field(default_factory=list)

    def on(self, output: pulumi.Input[Any], fn: Callable[[Any], Any]) -> None:
        import pulumi

        frame = traceback.extract_stack(limit=2)[0]
        check = _Check(where=f"{frame.filename}:{frame.lineno}")
        self.checks.append(check)

        from .pulumi_compat import output_is_secret
        from .secrets import Redactor

        watched = pulumi.Output.from_input(output)

        def run(value: Any) -> Any:
            check.ran = True
            if _contains_unknown(value):
                check.unknown = True
                return None
            try:
                return fn(value)
            except AssertionError as failure:
                if not output_is_secret(watched):
                    raise
                # A failed check on a secret must not print the secret (pytest shows the message).
                raise AssertionError(Redactor.of([value]).text(str(failure))) from None

        watched.apply(run)

    def verify(self) -> None:
        failures = []
        for check in self.checks:
            if not check.ran:
                failures.append(f"check registered at {check.where} never ran (its Output never resolved: unknown in preview?)")
            elif check.unknown:
                failures.append(f"check registered at {check.where} ran on an unknown value")
        if failures:
            pytest.fail("\n".join(failures), pytrace=False)


def _contains_unknown(value: Any) -> bool:
    from .plan import is_unknown
    from .pulumi_compat import is_unknown_value

    if is_unknown_value(value) or is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_unknown(v) for v in value)
    return False


@pytest.fixture
def mlplat_checks() -> Any:
    checks = OutputChecks()
    yield checks
    checks.verify()
