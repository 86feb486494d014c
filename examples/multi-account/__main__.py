"""Layer stacks over accounts: the library's composition root (`mlplat.platform.program`).

With the account map (`ml-platform:accounts` in Pulumi.yaml) each stack targets the account the map
gives it (its aws:allowedAccountIds / aws:assumeRoles are checked), the registry grants the accounts
the map derives, the registry stack in shared services declares its own keys and alarm topic, and a
serving layer deploys the shared-services account's latest approved package (asked for by group ARN).
"""

from mlplat.platform.program import build_platform

build_platform()
