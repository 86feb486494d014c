"""What `pulumi stack export` writes for a stack deployed from a plan (test data for audit and verify)."""

from __future__ import annotations

import copy

from mlplat.tooling.plan import Plan
from mlplat.tooling.state import SECRET_SIGNATURE

SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
CIPHERTEXT = "v1:Zm9vYmFyYmF6cXV4:ciphertext-that-must-not-leak"


def _ciphered(value, paths):
    """`value` with each secret path replaced by a ciphertext object, as the state holds secrets."""
    document = copy.deepcopy(value)
    for path in paths:
        parts = path.split(".")
        target = document
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = {SIGNATURE_KEY: SECRET_SIGNATURE, "ciphertext": CIPHERTEXT}
    return document


def export_of(plan: Plan) -> dict:
    """What `pulumi stack export` writes for a stack deployed from `plan`."""
    resources = [{
        "urn": plan.root_urn, "custom": False, "type": "pulumi:pulumi:Stack",
        "outputs": _ciphered(plan.outputs, [p for p in plan.output_secret_paths if "[" not in p]),
    }]
    for r in plan.resources:
        resources.append({
            "urn": r.urn, "custom": r.custom, "id": r.id, "type": r.type,
            "inputs": _ciphered(r.inputs, [p for p in r.secret_paths if "[" not in p]),
            "outputs": _ciphered(r.outputs, [p for p in r.output_secret_paths if "[" not in p]),
            "parent": r.parent or plan.root_urn, "protect": r.protect,
            "dependencies": r.dependencies, "propertyDependencies": r.property_dependencies,
        })
    return {"version": 3, "deployment": {
        "manifest": {"time": "2026-12-01T10:00:00Z", "magic": "0" * 64, "version": "v3.272.0"},
        "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:abc"}},
        "resources": resources,
    }}
