"""Answers a user pins for an offline plan: invoke results and other stacks' outputs.

`mlplat plan --invoke-results FILE`: the file (YAML or JSON) maps an invoke token to its answer for any arguments, or to a list of
entries answering calls by their arguments (the engine's names, as `pulumi preview` shows them);
the first entry whose `args` the call's arguments include answers, and an entry without `args`
answers any call:

    aws:ec2/getAmi:getAmi:
      - args: {owners: [amazon], mostRecent: true}
        result: {id: ami-0123456789abcdef0, imageId: ami-0123456789abcdef0, architecture: x86_64}
    aws:index/getCallerIdentity:getCallerIdentity:
      accountId: "210987654321"

`mlplat plan --stack-references FILE`: the outputs of the stacks the program references
(`pulumi.StackReference("org/network/prod")`), as `pulumi stack output --json` prints them:

    org/network/prod:
      vpc_id: vpc-0123456789abcdef0
      private_subnet_ids: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]

The same dictionaries are what the test kit's `invoke_results=` and `stack_references=` take.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mlplat.core.errors import ConfigError, Problem

__all__ = ["invoke_results_problems", "load_invoke_results", "load_stack_references"]


def load_invoke_results(path: str | Path) -> dict[str, Any]:
    """The file's pinned invoke answers; ConfigError naming the file and the entry that is wrong."""
    document = _read(path, "--invoke-results")
    problems = invoke_results_problems(document)
    if problems:
        raise ConfigError(problems, str(path))
    return dict(document or {})


def load_stack_references(path: str | Path) -> dict[str, dict[str, Any]]:
    """Stack name -> its outputs; ConfigError naming the file and the entry that is wrong."""
    document = _read(path, "--stack-references")
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError([Problem("(top level)", "must map stack names (`org/project/stack`) to their outputs",
                                   type(document).__name__)], str(path))
    problems = [Problem(str(name), "must be a mapping of output names to values (`pulumi stack output --json`)", outputs)
                for name, outputs in document.items() if not isinstance(outputs, dict)]
    if problems:
        raise ConfigError(problems, str(path))
    return {str(name): dict(outputs) for name, outputs in document.items()}


def _read(path: str | Path, option: str) -> Any:
    file = Path(path)
    if not file.is_file():
        raise ConfigError([Problem(option, "is not a file", str(path))])
    text = file.read_text()
    try:
        return json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if file.suffix == ".json" else "YAML"
        raise ConfigError([Problem("(file)", f"is not valid {kind}: {exc}")], str(path)) from None


def invoke_results_problems(document: Any) -> list[Problem]:
    """What is wrong with a mapping of pinned invoke answers (empty when nothing is)."""
    if document is None:
        return []
    if not isinstance(document, dict):
        return [Problem("(top level)", "must map invoke tokens (`aws:ec2/getAmi:getAmi`) to answers", type(document).__name__)]
    problems: list[Problem] = []
    for token, answer in document.items():
        if not isinstance(token, str) or token.count(":") != 2:
            problems.append(Problem(str(token), "is not an invoke token (`package:module:function`, e.g. aws:ec2/getAmi:getAmi)", token))
            continue
        if isinstance(answer, dict):
            continue
        if not isinstance(answer, list):
            problems.append(Problem(token, "must be the result (a mapping) or a list of {args, result} entries", type(answer).__name__))
            continue
        for index, entry in enumerate(answer):
            where = f"{token}[{index}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("result"), dict):
                problems.append(Problem(where, "must be a mapping with a `result` mapping (and optional `args`)", entry))
            elif not isinstance(entry.get("args", {}), dict):
                problems.append(Problem(f"{where}.args", "must be a mapping of argument names to values", entry.get("args")))
            elif set(entry) - {"args", "result"}:
                problems.append(Problem(where, "has keys other than `args` and `result`", sorted(set(entry) - {"args", "result"})))
    return problems
