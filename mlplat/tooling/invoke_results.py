"""Pinned invoke answers for an offline plan: `mlplat plan --invoke-results FILE`.

The file (YAML or JSON) maps an invoke token to its answer for any arguments, or to a list of
entries answering calls by their arguments (the engine's names, as `pulumi preview` shows them);
the first entry whose `args` the call's arguments include answers, and an entry without `args`
answers any call:

    aws:ec2/getAmi:getAmi:
      - args: {owners: [amazon], mostRecent: true}
        result: {id: ami-0123456789abcdef0, imageId: ami-0123456789abcdef0, architecture: x86_64}
    aws:index/getCallerIdentity:getCallerIdentity:
      accountId: "210987654321"

The same dictionary is what the test kit's `invoke_results=` takes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mlplat.core.errors import ConfigError, Problem

__all__ = ["load_invoke_results", "invoke_results_problems"]


def load_invoke_results(path: str | Path) -> dict[str, Any]:
    """The file's pinned answers; ConfigError naming the file and the entry that is wrong."""
    file = Path(path)
    label = str(path)
    if not file.is_file():
        raise ConfigError([Problem("--invoke-results", "is not a file", label)])
    text = file.read_text()
    try:
        document = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError([Problem("(file)", f"is not valid {'JSON' if file.suffix == '.json' else 'YAML'}: {exc}")], label) from None
    problems = invoke_results_problems(document)
    if problems:
        raise ConfigError(problems, label)
    return dict(document or {})


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
