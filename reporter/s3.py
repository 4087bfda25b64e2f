"""The S3 client. Region, endpoint (AWS_ENDPOINT_URL, e.g. moto in tests) and credentials come from
boto3's standard environment and credential chain (IRSA web identity in the cluster)."""
from __future__ import annotations

import boto3
from botocore.config import Config


def s3_client():
    return boto3.client("s3", config=Config(retries={"max_attempts": 5, "mode": "standard"}))
