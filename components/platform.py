"""MLPlatform (L3): the whole platform of one stack, built from a PlatformConfig.

Children (stable names): `<name>-encryption`, `<name>-network`, `<name>-artifacts`.
Bucket names start with `<project>-<env>-<role>-`, so renaming the project tag replaces buckets:
set `tags.project` once.
"""

from __future__ import annotations

from typing import Optional

import pulumi

from ._naming import bucket_prefix, child
from .artifact_store import ArtifactStore, ArtifactStoreArgs
from .config import PlatformConfig
from .encryption import Encryption, EncryptionArgs
from .network import ExistingVpcArgs, Network, NetworkArgs


class MLPlatform(pulumi.ComponentResource):
    encryption: Encryption
    network: Network
    artifacts: ArtifactStore

    def __init__(self, name: str, config: PlatformConfig, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        # Build every Args first: a bad value fails here, before any resource is declared.
        project, env = config.tags.project, config.environment
        store_name = child(name, "artifacts")
        bucket_name_prefix = bucket_prefix(project, env)
        encryption_args = EncryptionArgs(
            deletion_window_days=config.encryption.deletion_window_days,
            alias_prefix=f"alias/{project}-{env}",
            s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes(store_name, bucket_name_prefix),
            protect=config.deletion_protection,
        )
        store = config.artifact_store
        super().__init__("mlplat:platform:MLPlatform", name, None, opts)
        self.config = config
        self.encryption = Encryption(child(name, "encryption"), encryption_args, pulumi.ResourceOptions(parent=self))
        self.network = Network(child(name, "network"), self._network_args(config), pulumi.ResourceOptions(parent=self))
        self.artifacts = ArtifactStore(
            store_name,
            ArtifactStoreArgs(
                encryption=self.encryption,
                bucket_name_prefix=bucket_name_prefix,
                object_lock=store.object_lock,
                object_lock_retention_days=store.object_lock_retention_days,
                force_destroy=store.force_destroy,
                protect=config.deletion_protection,
                noncurrent_version_transition_days=store.noncurrent_version_transition_days,
                noncurrent_version_expiration_days=store.noncurrent_version_expiration_days,
                abort_incomplete_multipart_upload_days=store.abort_incomplete_multipart_upload_days,
                access_log_expiration_days=store.access_log_expiration_days,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "vpc_id": self.network.vpc_id,
                "key_arns": self.encryption.key_arns,
                "bucket_names": self.artifacts.bucket_names,
            }
        )

    def _network_args(self, config: PlatformConfig) -> NetworkArgs:
        net = config.network
        if net.existing is not None:
            return NetworkArgs(existing=ExistingVpcArgs(**net.existing.model_dump()))
        return NetworkArgs(
            cidr_block=net.cidr_block,
            availability_zones=net.availability_zones,
            flow_log_retention_days=net.flow_log_retention_days,
            log_key=self.encryption.key("logs"),
        )
