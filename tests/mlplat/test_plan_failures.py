"""`mlplat plan` on programs that fail, and with pinned invoke answers.

A program's own error is reported with its own frames (exit 1, one message, none of the runner's
frames); a package the program imports that is not installed is named with the install hint; a
failure of the runner itself says it is a bug of mlplat and asks for a report (exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlplat.tooling import cli
from mlplat.tooling.cli import EXIT_CHECKS_FAILED, EXIT_CONFIG_ERROR, EXIT_INTERNAL_ERROR, main


def _project(root: Path, program: str, **files: str) -> Path:
    (root / "Pulumi.yaml").write_text("name: failing\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (root / "__main__.py").write_text(program)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def _plan(root: Path, *extra: str) -> int:
    return main(["plan", "--stack", "dev", "--cwd", str(root), "--no-policies", *extra])


def test_an_exception_in_an_apply_is_reported_with_the_programs_own_frames(tmp_path: Path, capsys):
    _project(
        tmp_path,
        "import pulumi\nimport pulumi_aws as aws\nimport naming\n\n"
        "fn = aws.lambda_.Function('fn', role='arn:aws:iam::123456789012:role/r', runtime='python3.12', handler='h.h')\n"
        "pulumi.export('label', fn.description.apply(naming.label))\n",
        **{"naming.py": "def label(description):\n    return description.upper()\n"},
    )
    assert _plan(tmp_path) == EXIT_CHECKS_FAILED
    err = capsys.readouterr().err
    assert err.startswith("mlplat plan: the program raised an error")
    assert 'File "naming.py", line 2, in label' in err and "return description.upper()" in err
    assert err.rstrip().endswith("AttributeError: 'NoneType' object has no attribute 'upper'")
    assert "site-packages" not in err and "mlplat/tooling" not in err and "<frozen" not in err


def test_an_exception_at_the_top_of_the_program_names_its_line(tmp_path: Path, capsys):
    _project(tmp_path, "import pulumi\n\nsettings = {}\nsize = settings['size']\n")
    assert _plan(tmp_path) == EXIT_CHECKS_FAILED
    err = capsys.readouterr().err
    assert 'File "__main__.py", line 4, in <module>' in err and "KeyError: 'size'" in err
    assert err.count("mlplat plan:") == 1


def test_a_missing_package_is_named_with_the_install_hint(tmp_path: Path, capsys):
    _project(tmp_path, "import pulumi\nimport pulumi_acmecloud_offline_test\n", **{"requirements.txt": "pulumi\n"})
    assert _plan(tmp_path) == EXIT_CHECKS_FAILED
    err = capsys.readouterr().err
    assert "imports `pulumi_acmecloud_offline_test` (__main__.py, line 2), which is not installed" in err
    assert "pip install pulumi-acmecloud-offline-test" in err and "pip install -r requirements.txt" in err
    assert "Traceback" not in err


def test_a_failure_of_the_runner_says_it_is_a_bug_and_asks_for_a_report(tmp_path: Path, capsys, monkeypatch):
    from mlplat.tooling.fakes import _generic

    def broken(*args, **kwargs):
        raise RuntimeError("generator exploded")

    monkeypatch.setattr(_generic, "generic_resource", broken)
    _project(tmp_path, "import pulumi_aws as aws\naws.sfn.StateMachine('m', role_arn='arn:aws:iam::1:role/r', definition='{}')\n")
    assert _plan(tmp_path) == EXIT_INTERNAL_ERROR
    err = capsys.readouterr().err
    assert "internal error in mlplat's offline runner (a bug of mlplat, not of your program)" in err
    assert "please report it" in err and "RuntimeError: generator exploded" in err


def test_a_configuration_error_still_exits_2(tmp_path: Path, capsys):
    _project(tmp_path, "import pulumi\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: [not, a, mapping]\n")
    assert _plan(tmp_path) == EXIT_CONFIG_ERROR
    assert "Traceback" not in capsys.readouterr().err


PROGRAM_WITH_LOOKUPS = (
    "import pulumi\nimport pulumi_aws as aws\n"
    "ami = aws.ec2.get_ami(owners=['amazon'], most_recent=True)\n"
    "who = aws.ec2.get_vpc(default=True)\n"
    "pulumi.export('ami', ami.id)\npulumi.export('vpc', who.id)\n"
)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_invoke_results_file_pins_answers_and_the_rest_are_listed(tmp_path: Path, capsys, suffix: str):
    _project(tmp_path, PROGRAM_WITH_LOOKUPS)
    pinned = {"aws:ec2/getAmi:getAmi": [{"args": {"owners": ["amazon"]}, "result": {"id": "ami-0fedcba9876543210"}}]}
    results = tmp_path / f"invokes{suffix}"
    if suffix == ".json":
        results.write_text(json.dumps(pinned))
    else:
        results.write_text("aws:ec2/getAmi:getAmi:\n  - args: {owners: [amazon]}\n    result: {id: ami-0fedcba9876543210}\n")
    assert _plan(tmp_path, "--invoke-results", str(results), "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    outputs = document["steps"][0]["newState"]["outputs"]
    assert outputs["ami"] == "ami-0fedcba9876543210" and outputs["vpc"].startswith("vpc-")
    generic = [d["message"] for d in document["diagnostics"] if "answered generically" in d["message"]]
    assert len(generic) == 1 and generic[0].startswith("invoke aws:ec2/getVpc:getVpc(default=true)")


def test_a_malformed_invoke_results_file_is_a_configuration_error(tmp_path: Path, capsys):
    _project(tmp_path, PROGRAM_WITH_LOOKUPS)
    results = tmp_path / "invokes.yaml"
    results.write_text("getAmi:\n  id: ami-1\naws:ec2/getVpc:getVpc:\n  - {args: {default: true}}\n")
    assert _plan(tmp_path, "--invoke-results", str(results)) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "getAmi" in err and "is not an invoke token" in err
    assert "aws:ec2/getVpc:getVpc[0]" in err and "`result` mapping" in err


def test_cli_keeps_its_exit_codes_documented():
    assert "3 an internal error of mlplat" in (cli.__doc__ or "")


def test_the_readme_example_of_invoke_results_is_a_valid_file():
    import re

    import yaml

    from mlplat.tooling.pinned_answers import invoke_results_problems

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Programs without hand-written fakes", 1)[1]
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    assert invoke_results_problems(example) == []
    assert "aws:ec2/getAmi:getAmi" in example and "aws:route53/getZone:getZone" in example


STACK_REFERENCE_PROGRAM = (
    "import pulumi\nimport pulumi_aws as aws\n"
    "network = pulumi.StackReference('org/network/prod')\n"
    "group = aws.ec2.SecurityGroup('web', vpc_id=network.get_output('vpc_id'))\n"
    "pulumi.export('vpc', group.vpc_id)\n"
)


def test_stack_references_file_gives_other_stacks_outputs(tmp_path: Path, capsys):
    _project(tmp_path, STACK_REFERENCE_PROGRAM)
    outputs = tmp_path / "stacks.yaml"
    outputs.write_text("org/network/prod:\n  vpc_id: vpc-0123456789abcdef0\n")
    assert _plan(tmp_path, "--stack-references", str(outputs), "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["steps"][0]["newState"]["outputs"] == {"vpc": "vpc-0123456789abcdef0"}


def test_a_stack_reference_without_outputs_says_how_to_pass_them(tmp_path: Path, capsys):
    _project(tmp_path, STACK_REFERENCE_PROGRAM)
    assert _plan(tmp_path) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "no outputs for stack reference 'org/network/prod'" in err and "--stack-references FILE" in err
    assert "Traceback" not in err and "bug" not in err
