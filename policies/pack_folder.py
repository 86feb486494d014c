"""The project's pack folder: where a project keeps its policy pack, its waivers and its rule settings.

The rules belong to the library (installed with mlplat); everything in the pack folder belongs to the
project that uses them:

    policies/                  (any name; `mlplat` looks for `<project>/policies` unless told)
      PulumiPolicy.yaml        Pulumi runs the folder with `--policy-pack policies`
      __main__.py              three lines: serve mlplat's installed rules with this folder's files
      waivers.yaml             the project's reviewed exceptions, per environment
      settings.yaml            the project's rule settings (rule id -> typed config), per environment
      config/<env>.json        generated from the three above by `mlplat policy-config`, passed with
                               `--policy-pack-config`

A folder with PulumiPolicy.yaml is a pack folder; its waivers.yaml and settings.yaml must then exist
and be valid: a missing or malformed file is a ConfigError naming it, never an empty list.
`init_pack_folder` writes a new one (`mlplat policy-pack init DIR`). Nothing here ever writes into
the installed packages (site-packages).
"""

from __future__ import annotations

import json
import site
import sysconfig
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import yaml
from pydantic import ValidationError

from mlplat.core.errors import ConfigError, Problem

from .presets import pack_config, render
from .rules import ENVIRONMENTS, NoConfig, registered_rules
from .waivers import MIN_REASON_LENGTH, Waiver

__all__ = [
    "CONFIG_DIR",
    "DEFAULT_PACK_FOLDER",
    "DEFAULT_VIRTUALENV",
    "PACK_PROGRAM",
    "PACK_DEFINITION",
    "SETTINGS_FILE",
    "WAIVERS_FILE",
    "PackFolder",
    "init_pack_folder",
    "load_settings",
    "load_waivers",
    "pack_folder_files",
]

PACK_DEFINITION = "PulumiPolicy.yaml"
PACK_PROGRAM = "__main__.py"
WAIVERS_FILE = "waivers.yaml"
SETTINGS_FILE = "settings.yaml"
CONFIG_DIR = "config"
DEFAULT_PACK_FOLDER = "policies"
DEFAULT_VIRTUALENV = "../.venv"

Waivers = dict[str, list[dict[str, Any]]]
Settings = dict[str, dict[str, dict[str, Any]]]


class PackFolder:
    """A project's pack folder (see the module docs). Reads its files afresh on every call."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"PackFolder({str(self.path)!r})"

    @staticmethod
    def is_pack_folder(path: Path | str) -> bool:
        return (Path(path) / PACK_DEFINITION).is_file()

    @classmethod
    def open(cls, path: Path | str) -> "PackFolder":
        """The pack folder at `path`; ConfigError when `path` is not one."""
        path = Path(path)
        if not cls.is_pack_folder(path):
            what = "does not exist" if not path.exists() else f"is not a pack folder (it has no {PACK_DEFINITION})"
            raise ConfigError([Problem(str(path), f"{what}; create one with `mlplat policy-pack init {path}`")])
        return cls(path)

    @classmethod
    def find(cls, project_dir: Path | str) -> Optional["PackFolder"]:
        """`<project_dir>/policies` when it is a pack folder, else None."""
        candidate = Path(project_dir) / DEFAULT_PACK_FOLDER
        return cls(candidate) if cls.is_pack_folder(candidate) else None

    @property
    def waivers_file(self) -> Path:
        return self.path / WAIVERS_FILE

    @property
    def settings_file(self) -> Path:
        return self.path / SETTINGS_FILE

    @property
    def config_dir(self) -> Path:
        return self.path / CONFIG_DIR

    def config_file(self, environment: str) -> Path:
        return self.config_dir / f"{environment}.json"

    def waivers(self) -> Waivers:
        """The folder's waivers per environment (ConfigError naming waivers.yaml when missing or malformed)."""
        return load_waivers(self.waivers_file)

    def settings(self) -> Settings:
        """The folder's rule settings per environment (ConfigError naming settings.yaml when missing or malformed)."""
        return load_settings(self.settings_file)

    def check(self) -> None:
        """One ConfigError listing every problem of waivers.yaml and settings.yaml, if there are any."""
        problems = _read_waivers(self.waivers_file)[1] + _read_settings(self.settings_file)[1]
        if problems:
            raise ConfigError(problems)

    def pack_config(self, environment: str) -> dict[str, Any]:
        """The `--policy-pack-config` document of `environment` from this folder's waivers and settings."""
        self.check()
        return pack_config(environment, self.waivers()[environment], self.settings()[environment])

    def rendered_configs(self) -> dict[Path, str]:
        """config/<env>.json path -> the text `write_configs` would write."""
        self.check()
        waivers, settings = self.waivers(), self.settings()
        return {self.config_file(env): render(pack_config(env, waivers[env], settings[env])) for env in ENVIRONMENTS}

    def write_configs(self, directory: Optional[Path | str] = None) -> list[Path]:
        """Write config/<env>.json (or `<directory>/<env>.json`) from the folder's waivers and settings."""
        rendered = self.rendered_configs()
        target = Path(directory) if directory is not None else self.config_dir
        refuse_installed_location(target)
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for path, text in rendered.items():
            out = target / path.name
            out.write_text(text)
            written.append(out)
        return written

    def stale_configs(self, environments: Iterable[str] = ENVIRONMENTS) -> list[Path]:
        """The folder's config/<env>.json files that are missing or differ from its waivers and settings."""
        rendered = self.rendered_configs()
        stale = []
        for env in environments:
            path = self.config_file(env)
            if not path.is_file() or path.read_text() != rendered[path]:
                stale.append(path)
        return stale


def pack_folder_files(path: Path | str) -> tuple[Path, ...]:
    """The files `init_pack_folder` writes into `path`."""
    path = Path(path)
    return (
        path / PACK_DEFINITION, path / PACK_PROGRAM, path / WAIVERS_FILE, path / SETTINGS_FILE,
        *(path / CONFIG_DIR / f"{env}.json" for env in ENVIRONMENTS),
    )


def init_pack_folder(path: Path | str, *, virtualenv: str = DEFAULT_VIRTUALENV, force: bool = False) -> list[Path]:
    """Write a thin pack folder at `path` that serves the installed rules with its own (empty) waivers
    and settings, and its generated config/<env>.json. `virtualenv` is the project's virtualenv,
    relative to the folder (Pulumi runs the pack in it). Existing files are kept unless `force`."""
    path = Path(path)
    refuse_installed_location(path)
    problems = []
    if not isinstance(virtualenv, str) or not virtualenv.strip() or any(c in virtualenv for c in "\n\r"):
        problems.append(Problem("--virtualenv", "is not a directory path (one line, relative to the pack folder)", virtualenv))
    existing = [f for f in pack_folder_files(path) if f.exists()]
    if existing and not force:
        problems += [Problem(str(f), "already exists (pass --force to overwrite it)") for f in existing]
    if path.exists() and not path.is_dir():
        problems.append(Problem(str(path), "is a file, not a directory"))
    if problems:
        raise ConfigError(problems)
    path.mkdir(parents=True, exist_ok=True)
    texts = {
        path / PACK_DEFINITION: pack_definition_text(virtualenv),
        path / PACK_PROGRAM: PACK_PROGRAM_TEXT,
        path / WAIVERS_FILE: WAIVERS_TEMPLATE,
        path / SETTINGS_FILE: settings_template(),
    }
    for file, text in texts.items():
        file.write_text(text)
    return [*texts, *PackFolder(path).write_configs()]


def refuse_installed_location(path: Path | str) -> None:
    """ConfigError when `path` lies inside the installed packages: the project owns its pack folder."""
    resolved = Path(path).resolve()
    for root in _installed_package_roots():
        if resolved == root or root in resolved.parents:
            raise ConfigError([Problem(str(path), f"is inside the installed packages ({root}): keep the pack folder "
                                                  "in your project, e.g. `policies/` beside Pulumi.yaml")])


def _installed_package_roots() -> list[Path]:
    roots = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    roots.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    roots.add(site.getusersitepackages())
    return sorted({Path(r).resolve() for r in roots})


# --- reading ---------------------------------------------------------------------------------------


def load_waivers(path: Path | str) -> Waivers:
    """Waivers per environment from a waivers file; ConfigError naming the file and key of every problem."""
    waivers, problems = _read_waivers(Path(path))
    if problems:
        raise ConfigError(problems)
    return waivers


def load_settings(path: Path | str) -> Settings:
    """Rule settings per environment from a settings file, each checked against its rule's typed
    config; ConfigError naming the file and key of every problem."""
    settings, problems = _read_settings(Path(path))
    if problems:
        raise ConfigError(problems)
    return settings


def _read_waivers(path: Path) -> tuple[Waivers, list[Problem]]:
    waivers: Waivers = {env: [] for env in ENVIRONMENTS}
    data, problems = _read_yaml(path)
    for env, entries in _sections(data):
        if not isinstance(entries, list):
            problems.append(Problem(_at(path, env), "is not a list of waivers (write `[]` for none)", entries))
            continue
        for index, entry in enumerate(entries):
            try:
                Waiver.model_validate(entry)
            except ValidationError as exc:
                problems += _validation_problems(_at(path, f"{env}.{index}"), exc)
                continue
            waivers[env].append(dict(entry))
    return waivers, problems


def _read_settings(path: Path) -> tuple[Settings, list[Problem]]:
    known = {rule.id: rule for rule in registered_rules()}
    settings: Settings = {env: {} for env in ENVIRONMENTS}
    data, problems = _read_yaml(path)
    for env, entries in _sections(data):
        if not isinstance(entries, dict):
            problems.append(Problem(_at(path, env), "is not a mapping of rule id to settings (write `{}` for none)", entries))
            continue
        for rule_id, config in entries.items():
            where = _at(path, f"{env}.{rule_id}")
            if rule_id not in known or known[rule_id].config is NoConfig:
                problems.append(Problem(where, f"names no rule with settings (rules with settings: {', '.join(_configurable())})"))
                continue
            if not isinstance(config, dict):
                problems.append(Problem(where, "is not a mapping of setting to value", config))
                continue
            try:
                known[rule_id].config.model_validate(config)  # typed: a typo fails here, not in the engine
            except ValidationError as exc:
                problems += _validation_problems(where, exc)
                continue
            settings[env][rule_id] = dict(config)
    return settings, problems


def _sections(data: Any) -> Iterator[tuple[str, Any]]:
    """(environment, entries) of each environment the file lists (null: none)."""
    if isinstance(data, dict):
        for env in ENVIRONMENTS:
            if data.get(env) is not None:
                yield env, data[env]


class _DatesAsText(yaml.SafeLoader):
    """YAML without timestamps: `expires: 2027-13-01` reaches the waiver model (which names the key),
    instead of failing inside the YAML parser."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """The file's data and the problems of its shape (missing, not YAML, not environments at the top)."""
    if not path.is_file():
        hint = "" if path.parent.is_dir() else f" ({path.parent} does not exist)"
        return None, [Problem(str(path), f"is missing{hint}: the pack folder needs it; "
                                         f"`mlplat policy-pack init {path.parent}` writes an empty one")]
    try:
        data = yaml.load(path.read_text(), Loader=_DatesAsText) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(file)"
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(_at(path, where), f"is not valid YAML: {reason}")]
    if not isinstance(data, dict):
        return None, [Problem(_at(path, "(top level)"), f"is not a mapping of environment ({', '.join(ENVIRONMENTS)}) to entries", data)]
    return data, [Problem(_at(path, str(key)), f"is not an environment (allowed: {', '.join(ENVIRONMENTS)})") for key in data
                  if key not in ENVIRONMENTS]


def _at(path: Path, key: str) -> str:
    """A problem's place: the file, then the key path in it (`policies/waivers.yaml: dev.0.reason`)."""
    return f"{path}: {key}"


def _validation_problems(prefix: str, exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        path = ".".join([prefix, *map(str, error["loc"])])
        if error["type"] == "missing":
            problems.append(Problem(path, "is required"))
        elif error["type"] == "extra_forbidden":
            problems.append(Problem(path, "is not a known key"))
        else:
            message = str(error["msg"])
            problems.append(Problem(path, f"is not valid: {message[:1].lower()}{message[1:]}", error.get("input")))
    return problems


def _configurable() -> list[str]:
    return [rule.id for rule in registered_rules() if rule.config is not NoConfig]


# --- templates -------------------------------------------------------------------------------------

PACK_PROGRAM_TEXT = '''"""This project's policy pack: mlplat's rules, as installed, with this folder's waivers and settings.

    pulumi preview --policy-pack policies --policy-pack-config policies/config/<env>.json

Edit waivers.yaml or settings.yaml, then regenerate config/<env>.json: `mlplat policy-config`.
"""

from pathlib import Path

from mlplat.policies.pack import serve

serve(Path(__file__).resolve().parent)
'''


def pack_definition_text(virtualenv: str = DEFAULT_VIRTUALENV) -> str:
    """PulumiPolicy.yaml of a pack folder whose project's virtualenv is `virtualenv` (relative to the folder)."""
    return (
        "description: mlplat governance pack (storage, keys, identity, ML services, clusters, workloads)\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    # The project's virtualenv, relative to this folder: the pack imports mlplat installed in it.\n"
        f"    virtualenv: {json.dumps(virtualenv)}\n"
    )


WAIVERS_TEMPLATE = f"""\
# Reviewed exceptions to mlplat's governance rules, per environment. Each entry:
#   - rule: MLP-XXX-NN            the rule id (required)
#     finding: "s3:*"             optional: one finding of the rule (omitted: every finding)
#     urn: / name: / type:        optional globs: which resources (omitted: any)
#     reason: why it is acceptable (at least {MIN_REASON_LENGTH} characters)
#     owner: who answers for it
#     expires: YYYY-MM-DD         an expired waiver is ignored and reported
# Waived findings are reported as waived, never silently passed; critical rules cannot be waived in
# staging or prod. After editing, regenerate config/<env>.json: `mlplat policy-config`.
dev: []
staging: []
prod: []
"""


def settings_template() -> str:
    """settings.yaml of a new pack folder: empty, with the rules that take settings listed from their metadata."""
    lines = [
        "# Rule settings per environment: rule id -> that rule's config (checked against its typed model).",
        "# Omitted settings keep the rule's defaults. After editing: `mlplat policy-config`. For example:",
        "#   dev:",
        "#     MLP-REG-01:",
        '#       allowed_accounts: ["111122223333"]   # accounts that may read the model registry',
        "# Rules with settings:",
    ]
    for rule in registered_rules():
        if rule.config is not NoConfig:
            lines.append(f"#   {rule.id}: {', '.join(rule.config.model_fields)}")
    lines += [f"{env}: {{}}" for env in ENVIRONMENTS]
    return "\n".join(lines) + "\n"
