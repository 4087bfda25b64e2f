"""Value types of the settings: each says what a valid value looks like, so an error can say what was expected."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from model import schedule

_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_IMAGE = re.compile(r"^[a-z0-9.\-/:_]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$")
_BYTES = re.compile(r"^[0-9]+(B|KB|MB|GB|TB|PB)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _matches(pattern: re.Pattern, expected: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"expected {expected}, got {value!r}")
        return value

    return check


def _image(value: str) -> str:
    _matches(_IMAGE, "an image pinned to a version tag or digest (e.g. quay.io/prometheus/prometheus:v2.53.3)")(value)
    if value.endswith(":latest"):
        raise ValueError(f"expected an image pinned to a version, not {value!r}")
    return value


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value)
    except ValueError:
        raise ValueError(f"expected a CIDR block such as 10.0.0.1/32, got {value!r}") from None
    return value


Duration = Annotated[str, AfterValidator(_matches(_DURATION, "a Prometheus duration such as 15s, 2m or 30d"))]
Quantity = Annotated[str, AfterValidator(_matches(_QUANTITY, "a Kubernetes quantity such as 500m, 2Gi or 100Gi"))]
DnsName = Annotated[str, AfterValidator(_matches(_DNS_NAME, "a DNS name such as grafana.example.com"))]
DnsLabel = Annotated[str, AfterValidator(_matches(_DNS_LABEL, "a DNS label (lowercase letters, digits, '-')"))]
Image = Annotated[str, AfterValidator(_image)]
ByteSize = Annotated[str, AfterValidator(_matches(_BYTES, "a Prometheus byte size such as 90GB"))]
Email = Annotated[str, AfterValidator(_matches(_EMAIL, "an email address"))]
Url = Annotated[str, AfterValidator(_matches(_URL, "an http(s) URL"))]
Cidr = Annotated[str, AfterValidator(_cidr)]
Replicas = Annotated[int, Field(ge=1, le=10)]
Port = Annotated[int, Field(ge=1, le=65535)]
# The reporter's own validators, so preview refuses exactly what the job would refuse.
Timezone = Annotated[str, AfterValidator(schedule.validate_timezone)]
Cron = Annotated[str, AfterValidator(schedule.validate_cron)]
# A list in the stack file, or a comma-separated string from `pulumi config set`.
Recipients = Annotated[
    list[Email],
    BeforeValidator(lambda value: [item.strip() for item in value.split(",") if item.strip()] if isinstance(value, str) else value),
    AfterValidator(schedule.validate_recipients),
]
S3Bucket = Annotated[str, AfterValidator(_matches(re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"), "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')"))]
S3Prefix = Annotated[str, AfterValidator(_matches(re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"), "an S3 key prefix without leading or trailing '/' (e.g. reports)"))]
AwsRegion = Annotated[str, AfterValidator(_matches(re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$"), "an AWS region such as eu-west-2"))]
IamRoleArn = Annotated[str, AfterValidator(_matches(re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$"), "an IAM role ARN such as arn:aws:iam::123456789012:role/sla-reporter"))]


class Group(BaseModel):
    """A group of settings; unknown fields are errors and nothing changes after validation."""

    # Field docstrings are the settings' descriptions (Pulumi.yaml, README table).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
