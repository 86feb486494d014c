"""SageMakerJobLogs: the log groups SageMaker training and processing jobs write to.

SageMaker writes every training job's logs to `/aws/sagemaker/TrainingJobs` and every processing
job's to `/aws/sagemaker/ProcessingJobs`: one group each per account and region, whichever
pipeline, family or monitor started the job. Declaring them (with the logs key and a retention)
therefore belongs to the platform, once, not to each TrainingPipeline: two declarations of one
name would fail at `pulumi up`. TrainingPipelineArgs take this component by reference, or a
`SageMakerJobLogsReference` when another stack (a layered environment's foundation) declares them.

    job_logs = SageMakerJobLogs("job-logs", SageMakerJobLogsArgs(key=keys.key("logs"), retention_days=365))

A group SageMaker already created (a job ran before the platform declared it) must be imported
once: `pulumi import aws:cloudwatch/logGroup:LogGroup <child name> /aws/sagemaker/TrainingJobs
--parent <this component's URN>`.
"""

from __future__ import annotations

from typing import ClassVar, Optional

import pulumi
import pulumi_aws as aws
from pydantic import Field

from ._wiring import require_args
from mlplat.core.errors import Problem
from mlplat.core.models import ArgsModel, StrictInt
from mlplat.core.naming import child
from mlplat.core.validators import check_log_retention

__all__ = [
    "PROCESSING_JOBS_LOG_GROUP",
    "SageMakerJobLogs",
    "SageMakerJobLogsArgs",
    "TRAINING_JOBS_LOG_GROUP",
    "TYPE_TOKEN",
]

TYPE_TOKEN = "mlplat:pipeline:SageMakerJobLogs"
TRAINING_JOBS_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
PROCESSING_JOBS_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"


class SageMakerJobLogsArgs(ArgsModel):
    key: aws.kms.Key = Field(description="The KMS key of the log groups (the platform's `logs` key, which admits CloudWatch Logs).")
    retention_days: StrictInt = Field(default=365, description="Retention of both groups (a CloudWatch Logs period). Omitted: 365.")

    def problems(self) -> list[Problem]:
        return check_log_retention("SageMakerJobLogsArgs.retention_days", self.retention_days)


class SageMakerJobLogs(pulumi.ComponentResource):
    """The two account-wide SageMaker job log groups, encrypted, with a retention.

    Children (suffixes are stable): `<name>-training-jobs`, `<name>-processing-jobs`. Deleting the
    component deletes the groups and their logs.
    """

    # False for a reference to another stack's groups (`mlplat.components.references`): nothing to depend on.
    declared: ClassVar[bool] = True
    training: aws.cloudwatch.LogGroup
    processing: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: SageMakerJobLogsArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("SageMakerJobLogs", name, args, SageMakerJobLogsArgs)
        super().__init__(TYPE_TOKEN, name, None, opts)
        here = pulumi.ResourceOptions(parent=self)
        self.training = aws.cloudwatch.LogGroup(
            child(name, "training-jobs"), name=TRAINING_JOBS_LOG_GROUP, retention_in_days=args.retention_days,
            kms_key_id=args.key.arn, opts=here,
        )
        self.processing = aws.cloudwatch.LogGroup(
            child(name, "processing-jobs"), name=PROCESSING_JOBS_LOG_GROUP, retention_in_days=args.retention_days,
            kms_key_id=args.key.arn, opts=here,
        )
        self.register_outputs({"training_log_group_arn": self.training.arn, "processing_log_group_arn": self.processing.arn})
