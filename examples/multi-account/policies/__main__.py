"""This project's policy pack: mlplat's rules, as installed, with this folder's waivers and settings.

    pulumi preview --policy-pack policies --policy-pack-config policies/config/<env>.json

Edit waivers.yaml or settings.yaml, then regenerate config/<env>.json: `mlplat policy-config`.
"""

from pathlib import Path

from mlplat.policies.pack import serve

serve(Path(__file__).resolve().parent)
