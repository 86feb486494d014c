"""The stacks the workflows run, read from `stacks/Pulumi.<stack>.yaml`, and what an event asks for.

Run by the first job of preview.yml, deploy.yml and drift.yml (plain python3, no project install). Reads
its inputs from environment variables and writes GitHub step outputs (JSON lists) to $GITHUB_OUTPUT:

  all      every stack with its environment, layer and level, `[{"stack", "environment", "layer",
           "level"}]` (a matrix's `include`), in deploy order: environments in ENVIRONMENTS order, in
           each by level: 0 the `<env>` stack (layer `all`) and `<env>-foundation`, 1 `-ml-services`,
           `-ml-services-<team>` and `-training` (and layer names mlplat does not know), 2 `-serving`,
           `-serving-<team>` and an ml-services layer that reads another (`layers.ml_services`), 3 a
           serving layer that reads such a layer's pipelines (`layers.pipelines`);
  <env>    for each environment, the stacks this event deploys there, in that order (`[]`: none);
  <env>_<level>
           the same by level (0, 1, 2, 3): deploy.yml's job of that environment and level deploys them;
  plan     the stacks a pull request can affect (entries as in `all`): what preview.yml plans;
  skipped  the stacks left out of `plan` (pull request) or of a push's deploy, each with the reason.

Inputs:
  ENVIRONMENTS                the environments in deploy order, space separated (the workflow's own list)
  STACKS_DIR                  the folder of stack files (default `stacks`)
  EVENT_NAME                  github.event_name
  GITHUB_REF, DEFAULT_BRANCH  deploys run from the default branch only
  PAYLOAD_ENVIRONMENT, PAYLOAD_FAMILY, PAYLOAD_MODEL_PACKAGE_ARN
                              repository_dispatch: the registry's client_payload (untrusted: validated)
  REQUESTED_ENVIRONMENT, REQUESTED_STACK
                              workflow_dispatch: the inputs (validated)
  DIFF_BASE, DIFF_HEAD        push and pull_request: the commits whose `git diff --name-only` is the change
                              (40-hex SHAs; without them, or when git cannot diff, every stack is affected)
  CHANGED_FILES               instead of the diff: the changed paths, one per line

What each event deploys:
  push                 the stacks the change affects, every environment in order: a stack file changes its
                       stack and, for a layer, the layers that read it (foundation: all of them; an ml-services
                       layer: the serving layers whose `layers.ml_services` names it, `ml-services` by default,
                       or whose `layers.pipelines` does, and the ml-services layers whose pipelines register
                       into its registry, which name it too);
                       a registry snapshot changes nothing deployed; any other file (the program, the policy
                       pack, the project) changes every stack;
  repository_dispatch  the payload's environment only, and there the stacks that serve models (the `<env>`
                       stack and the serving layers): `latest-approved` reads that environment's registry
                       (with an account map whose shared_services_stacks list the registry's ml-services layer, the group
                       in the shared-services account, by ARN; the serving layers deploy into the workload
                       account through their aws:assumeRoles);
  workflow_dispatch    the requested environment, or one stack of it.
A value that fails validation stops the run with an error naming the field and what is allowed; untrusted
values are shown quoted and shortened, never as a line of their own (no workflow-command injection).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>.+)\.yaml$")
# Pulumi stack names: letters, digits, '-', '_', '.'; the workflows use them in paths and group names.
STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# A model family: the registry's family names (lowercase, digits, '-', at most 32).
FAMILY = re.compile(r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")
# A versioned model package: arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>.
MODEL_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package/"
    r"(?P<group>[a-z0-9](-*[a-z0-9]){0,62})/(?P<version>[0-9]{1,10})$"
)
DEPLOY_EVENTS = ("push", "repository_dispatch", "workflow_dispatch")
SHA = re.compile(r"^[0-9a-f]{40}$")
# The layers each layer reads (mlplat.platform.layers.LAYER_DEPENDENCIES; a test keeps them equal).
LAYER_DEPENDENCIES = {"foundation": (), "ml-services": ("foundation",), "training": ("foundation",),
                      "serving": ("foundation", "ml-services")}
LEVELS = {"all": 0, "foundation": 0, "ml-services": 1, "training": 1, "serving": 2}
READS_PIPELINES_LEVEL = 3  # a serving stack that reads another ml-services stack's pipelines (`layers.pipelines`)
DEPLOY_LEVELS = (0, 1, 2, READS_PIPELINES_LEVEL)  # deploy.yml's jobs per environment: up-<env>, up-<env>-<level>
# A stack file's `layers.ml_services` (the ml-services layer whose families it reads), found without a YAML
# parser: the script runs on the runner's python3 alone. A value it cannot tell makes the stack a reader of them
# all. An ml-services stack that sets it (a pipelines stack over another layer's registry) deploys at level 2,
# after the layer it reads, and a serving stack that reads such a stack's pipelines at level 3.
ML_SERVICES_SETTING = re.compile(r"^\s+ml_services:\s*['\"]?(?P<layer>[^'\"#\s]*)['\"]?\s*(?:#.*)?$", re.MULTILINE)
ML_SERVICES_LAYER = re.compile(r"^ml-services(-[a-z]([a-z0-9-]{0,30}[a-z0-9])?)?$")
# A serving stack file's `layers.pipelines` (the ml-services layer whose pipelines its drift loops retrain): a
# value on the key's line (a `pipelines:` section of an ml-services file is a mapping, on the lines below).
PIPELINES_SETTING = re.compile(r"^\s+pipelines:\s*['\"]?(?P<layer>[^'\"#\s]+)['\"]?\s*(?:#.*)?$", re.MULTILINE)
# Files that change no stack: documentation. A registry snapshot only answers offline plans.
NO_STACK = re.compile(r"^(docs/.*|.*\.md)$")
STACK_FILE_PATH = re.compile(r"^stacks/Pulumi\.(?P<stack>.+)\.yaml$")
REGISTRY_SNAPSHOT = re.compile(r"^stacks/registry\.(?P<name>.+)\.json$")


class Refused(Exception):
    """A stack file or an event input the workflow refuses."""


def shown(value: str) -> str:
    """An untrusted value, quoted on one line and shortened."""
    return repr(value[:120] + ("…" if len(value) > 120 else ""))


def environment_of(stack: str, environments: list[str]) -> str:
    """`dev` for the stack `dev` and for layer stacks `dev-<layer>`."""
    environment = stack.split("-", 1)[0]
    if environment not in environments:
        raise Refused(
            f"stacks/Pulumi.{stack}.yaml: the stack name tells no environment: name stacks <env> or "
            f"<env>-<layer> with <env> one of {', '.join(environments)}"
        )
    return environment


def layer_of(stack: str, environment: str) -> str:
    """`all` for the environment's own stack, else the name after `<env>-`."""
    return "all" if stack == environment else stack[len(environment) + 1:]


def kind_of(layer: str) -> str:
    if layer == "serving" or layer.startswith("serving-"):
        return "serving"
    return "ml-services" if layer.startswith("ml-services-") else layer


def level_of(layer: str, stacks_dir: Path | None = None, environment: str = "") -> int:
    """Deploy level: a layer deploys after the levels below it; a layer mlplat does not know goes after level 0;
    an ml-services layer that reads another one (its file in `stacks_dir` sets `layers.ml_services`) at level 2."""
    kind = kind_of(layer)
    if kind == "ml-services" and stacks_dir is not None and ml_services_read(stacks_dir, f"{environment}-{layer}",
                                                                            default=None) != NOT_SET:
        return LEVELS["serving"]
    if kind == "serving" and stacks_dir is not None and pipelines_read(stacks_dir, f"{environment}-{layer}") != NOT_SET:
        return READS_PIPELINES_LEVEL
    return LEVELS.get(kind, 1)


def stacks_by_environment(stacks_dir: Path, environments: list[str]) -> dict[str, list[str]]:
    names = sorted(m["stack"] for p in stacks_dir.glob("Pulumi.*.yaml") if (m := STACK_FILE.match(p.name)))
    if not names:
        raise Refused(f"{stacks_dir}/ holds no stack file Pulumi.<stack>.yaml")
    grouped: dict[str, list[str]] = {environment: [] for environment in environments}
    for name in names:
        if not STACK_NAME.match(name):
            raise Refused(f"{stacks_dir}/Pulumi.{name}.yaml: a stack name is letters, digits, '-', '_' and '.'")
        grouped[environment_of(name, environments)].append(name)
    for environment, stacks in grouped.items():
        # By level (what a layer reads deploys before it), the environment's own stack first, then by name.
        stacks.sort(key=lambda stack: (level_of(layer_of(stack, environment), stacks_dir, environment),
                                       stack != environment, stack))
    return grouped


NOT_SET = ""  # ml_services_read of a stack file without `layers.ml_services` and no default


def layer_setting(stacks_dir: Path | None, stack: str, setting: re.Pattern[str], default: str) -> str | None:
    """The ml-services layer a stack file's `setting` names (`default` when the file has none, or without
    `stacks_dir`); None when the file sets a value this script cannot tell (then it counts as every layer)."""
    if stacks_dir is None:
        return default
    try:
        text = (stacks_dir / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    except OSError:
        return None
    values = {match["layer"] for match in setting.finditer(text)}
    if not values:
        return default
    value = values.pop()
    return value if not values and ML_SERVICES_LAYER.match(value) else None


def ml_services_read(stacks_dir: Path | None, stack: str, *, default: str | None = "ml-services") -> str | None:
    """The ml-services layer a stack reads families from (its `layers.ml_services`; without it `default`, or
    NOT_SET when `default` is None); None when this script cannot tell."""
    return layer_setting(stacks_dir, stack, ML_SERVICES_SETTING, default if default is not None else NOT_SET)


def pipelines_read(stacks_dir: Path | None, stack: str) -> str | None:
    """The ml-services layer whose pipelines a serving stack's drift loops retrain when its file names one
    (`layers.pipelines`), NOT_SET when it does not; None when this script cannot tell."""
    return layer_setting(stacks_dir, stack, PIPELINES_SETTING, NOT_SET)


def reads(stack: str, layer: str, environment: str, stacks_dir: Path | None) -> bool:
    """Whether `stack` references the layer `layer` of its environment."""
    kind = kind_of(layer_of(stack, environment))
    below = LAYER_DEPENDENCIES.get(kind, ())
    if kind == "ml-services" and kind_of(layer) == "ml-services":  # a pipelines stack over another's registry
        read = ml_services_read(stacks_dir, stack, default=None)
        return read is None or (read == layer and layer != layer_of(stack, environment))
    if kind_of(layer) != "ml-services" or "ml-services" not in below:
        return layer in below
    read = ml_services_read(stacks_dir, stack) if kind == "serving" else "ml-services"
    pipelines = pipelines_read(stacks_dir, stack) if kind == "serving" else NOT_SET
    return read is None or read == layer or pipelines is None or pipelines == layer


def readers_of(stack: str, environment: str, stacks: list[str], stacks_dir: Path | None = None) -> list[str]:
    """The stacks of the environment that read `stack` through a stack reference, directly or not (a serving
    stack reads the ml-services layer its `layers.ml_services` names, read from its file in `stacks_dir`)."""
    found: list[str] = []
    todo = [layer_of(stack, environment)]
    while todo:
        below = todo.pop()
        for other in stacks:
            if other not in found and other != stack and reads(other, below, environment, stacks_dir):
                found.append(other)
                todo.append(layer_of(other, environment))
    return found


def affected(changed: list[str], grouped: dict[str, list[str]], *, offline: bool = False,
             stacks_dir: Path | None = None) -> tuple[set[str], dict[str, str]]:
    """The stacks a change can affect, and the others with the reason they are not. `offline`: for offline
    plans, which also read registry snapshots (`registry.<stack>.json`, or the environment's
    `registry.<env>.json` for its own stack and serving layers)."""
    everything = {stack for stacks in grouped.values() for stack in stacks}
    program = [path for path in changed if not (NO_STACK.match(path) or STACK_FILE_PATH.match(path)
                                                or REGISTRY_SNAPSHOT.match(path))]
    if program:
        return everything, {}
    chosen: dict[str, str] = {}
    for path in changed:
        match = STACK_FILE_PATH.match(path)
        if not match or match["stack"] not in everything:
            continue
        stack = match["stack"]
        environment = next(e for e, stacks in grouped.items() if stack in stacks)
        chosen.setdefault(stack, path)
        for reader in readers_of(stack, environment, grouped[environment], stacks_dir):
            chosen.setdefault(reader, f"{path} (it reads {stack})")
    offline_only = [path for path in changed if REGISTRY_SNAPSHOT.match(path)]
    for path in offline_only if offline else []:
        name = REGISTRY_SNAPSHOT.match(path)["name"]
        readers = [name] if name in everything else [
            s for s in grouped.get(name, []) if kind_of(layer_of(s, name)) in ("all", "serving")]
        for stack in readers:
            chosen.setdefault(stack, path)
    shown = ", ".join(changed[:5]) + (", ..." if len(changed) > 5 else "")
    reason = (f"not affected: the change touches {shown or 'no file'}"
              + (" (registry snapshots answer offline plans only)" if offline_only and not offline else ""))
    return set(chosen), {stack: reason for stack in sorted(everything - set(chosen))}


def changed_files(env: dict[str, str]) -> list[str] | None:
    """The changed paths (CHANGED_FILES, or `git diff --name-only DIFF_BASE DIFF_HEAD`); None: unknown."""
    if env.get("CHANGED_FILES"):
        return [line.strip() for line in env["CHANGED_FILES"].splitlines() if line.strip()]
    base, head = env.get("DIFF_BASE", ""), env.get("DIFF_HEAD", "")
    if not (SHA.match(base) and SHA.match(head)) or set(base) == {"0"}:
        return None
    run = subprocess.run(["git", "diff", "--name-only", base, head], capture_output=True, text=True, check=False)
    return run.stdout.split() if run.returncode == 0 else None


def requested_by_dispatch(env: dict[str, str], environments: list[str]) -> str:
    environment = env.get("PAYLOAD_ENVIRONMENT", "")
    family = env.get("PAYLOAD_FAMILY", "")
    package = env.get("PAYLOAD_MODEL_PACKAGE_ARN", "")
    if environment not in environments:
        raise Refused(f"client_payload.environment must be one of {', '.join(environments)}, got {shown(environment)}")
    if not FAMILY.match(family):
        raise Refused(
            "client_payload.family must be a model family name (lowercase letters, digits and '-', starting with "
            f"a letter, at most 32 characters), got {shown(family)}"
        )
    match = MODEL_PACKAGE_ARN.match(package)
    if not match:
        raise Refused(
            "client_payload.model_package_arn must be a versioned model package ARN "
            f"(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>), got {shown(package)}"
        )
    if match["group"] != family and not match["group"].endswith(f"-{family}"):
        raise Refused(
            f"client_payload.model_package_arn is a package of the group {match['group']!r}, "
            f"not of the family {family!r}"
        )
    return environment


def targets(env: dict[str, str], grouped: dict[str, list[str]], stacks_dir: Path | None = None) -> dict[str, list[str]]:
    """The stacks this event deploys, per environment."""
    environments = list(grouped)
    event = env.get("EVENT_NAME", "")
    none = {environment: [] for environment in environments}
    if event not in DEPLOY_EVENTS:
        return none
    default_ref = f"refs/heads/{env.get('DEFAULT_BRANCH', '')}"
    if env.get("GITHUB_REF", "") != default_ref:
        raise Refused(f"deploys run from the default branch ({default_ref}), not {shown(env.get('GITHUB_REF', ''))}")
    if event == "push":
        changed = changed_files(env)
        if changed is None:
            return grouped
        chosen, _ = affected(changed, grouped, stacks_dir=stacks_dir)
        return {environment: [s for s in stacks if s in chosen] for environment, stacks in grouped.items()}
    if event == "repository_dispatch":
        environment = requested_by_dispatch(env, environments)
        serving = [s for s in grouped[environment] if kind_of(layer_of(s, environment)) in ("all", "serving")]
        return {**none, environment: serving}
    environment = env.get("REQUESTED_ENVIRONMENT", "")
    stack = env.get("REQUESTED_STACK", "")
    if environment not in environments:
        raise Refused(f"the input environment must be one of {', '.join(environments)}, got {shown(environment)}")
    if not stack:
        return {**none, environment: grouped[environment]}
    if stack not in grouped[environment]:
        known = ", ".join(grouped[environment]) or "none"
        raise Refused(f"the input stack must be a stack of {environment} ({known}), got {shown(stack)}")
    return {**none, environment: [stack]}


def main(env: dict[str, str]) -> int:
    environments = env.get("ENVIRONMENTS", "").split()
    try:
        if not environments:
            raise Refused("ENVIRONMENTS is empty: the workflow names its environments in deploy order")
        stacks_dir = Path(env.get("STACKS_DIR") or "stacks")
        grouped = stacks_by_environment(stacks_dir, environments)
        chosen = targets(env, grouped, stacks_dir)
    except Refused as refused:
        print(f"::error::{refused}")
        return 1
    every = [{"stack": stack, "environment": environment, "layer": layer_of(stack, environment),
              "level": level_of(layer_of(stack, environment), stacks_dir, environment)}
             for environment in environments for stack in grouped[environment]]
    changed = changed_files(env) if env.get("EVENT_NAME") in ("push", "pull_request") else None
    pull_request = env.get("EVENT_NAME") == "pull_request"
    planned, skipped = (affected(changed, grouped, offline=pull_request, stacks_dir=stacks_dir) if changed is not None
                        else ({e["stack"] for e in every}, {}))
    lines = [f"all={json.dumps(every)}"]
    lines += [f"{environment}={json.dumps(chosen[environment])}" for environment in environments]
    lines += [f"{environment}_{level}={json.dumps([s for s in chosen[environment] if level_of(layer_of(s, environment), stacks_dir, environment) == level])}"
              for environment in environments for level in DEPLOY_LEVELS]
    lines.append(f"plan={json.dumps([entry for entry in every if entry['stack'] in planned])}")
    lines.append(f"skipped={json.dumps([{'stack': s, 'reason': r} for s, r in skipped.items()])}")
    with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
        output.write("".join(f"{line}\n" for line in lines))
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary and skipped:
        with open(summary, "a", encoding="utf-8") as out:
            out.write("### Stacks left out\n\n" + "".join(f"- {stack}: {reason}\n" for stack, reason in skipped.items())
                      + "\n")
    if summary and env.get("EVENT_NAME") in DEPLOY_EVENTS:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(f"### Deploy ({env['EVENT_NAME']})\n\n")
            if env["EVENT_NAME"] == "repository_dispatch":
                out.write(f"Approved: `{env['PAYLOAD_MODEL_PACKAGE_ARN']}` (family `{env['PAYLOAD_FAMILY']}`)\n\n")
            for environment in environments:
                out.write(f"- {environment}: {', '.join(chosen[environment]) or '(nothing)'}\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(dict(os.environ)))
