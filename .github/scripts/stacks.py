"""The stacks the workflows run, read from `stacks/Pulumi.<stack>.yaml`, and what a deploy event asks for.

Run by the first job of preview.yml and deploy.yml (plain python3, no project install). Reads its inputs
from environment variables and writes GitHub step outputs (JSON lists) to $GITHUB_OUTPUT:

  all      every stack with its environment, `[{"stack": ..., "environment": ...}]` (a matrix's
           `include`), in deploy order: environments in ENVIRONMENTS order, in each the `<env>` stack,
           then its layer stacks `<env>-<layer>` by name;
  <env>    for each environment, the stacks this event deploys there (`[]`: none).

Inputs:
  ENVIRONMENTS                the environments in deploy order, space separated (the workflow's own list)
  STACKS_DIR                  the folder of stack files (default `stacks`)
  EVENT_NAME                  github.event_name
  GITHUB_REF, DEFAULT_BRANCH  deploys run from the default branch only
  PAYLOAD_ENVIRONMENT, PAYLOAD_FAMILY, PAYLOAD_MODEL_PACKAGE_ARN
                              repository_dispatch: the registry's client_payload (untrusted: validated)
  REQUESTED_ENVIRONMENT, REQUESTED_STACK
                              workflow_dispatch: the inputs (validated)

What each event deploys:
  push                 every environment, in order;
  repository_dispatch  the payload's environment only: a model approved in an environment's registry is
                       that environment's `latest-approved` (each environment owns its model package groups);
  workflow_dispatch    the requested environment, or one stack of it.
A value that fails validation stops the run with an error naming the field and what is allowed; untrusted
values are shown quoted and shortened, never as a line of their own (no workflow-command injection).
"""

from __future__ import annotations

import json
import os
import re
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
        # The environment's own stack first (single-stack layout, or the one layers build on).
        stacks.sort(key=lambda stack: (stack != environment, stack))
    return grouped


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


def targets(env: dict[str, str], grouped: dict[str, list[str]]) -> dict[str, list[str]]:
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
        return grouped
    if event == "repository_dispatch":
        environment = requested_by_dispatch(env, environments)
        return {**none, environment: grouped[environment]}
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
        grouped = stacks_by_environment(Path(env.get("STACKS_DIR") or "stacks"), environments)
        chosen = targets(env, grouped)
    except Refused as refused:
        print(f"::error::{refused}")
        return 1
    every = [{"stack": stack, "environment": environment}
             for environment in environments for stack in grouped[environment]]
    lines = [f"all={json.dumps(every)}"]
    lines += [f"{environment}={json.dumps(chosen[environment])}" for environment in environments]
    with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
        output.write("".join(f"{line}\n" for line in lines))
    summary = env.get("GITHUB_STEP_SUMMARY")
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
