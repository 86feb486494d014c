from pulumi_policy import PolicyPack

from mlplat.policies.pack import DEFAULT_ENFORCEMENT, DESCRIPTION, PACK_NAME, all_policies

PolicyPack(name=PACK_NAME, policies=all_policies(), enforcement_level=DEFAULT_ENFORCEMENT, description=DESCRIPTION)
