"""Value types of the settings: each says what a valid value looks like, so an error can say what was expected.

Every check is a full match (a trailing newline is not a valid anything), and no message repeats the
value: a secret pasted into a plain key must not end up in a terminal or a CI log.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from model import schedule

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DURATION = re.compile(r"([0-9]+(ms|s|m|h|d|w|y))+")
_DURATION_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?")
_DNS_LABEL_TEXT = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"(?=.{{1,253}}$){_DNS_LABEL_TEXT}(\.{_DNS_LABEL_TEXT})*")
_DNS_LABEL = re.compile(_DNS_LABEL_TEXT)
_IMAGE = re.compile(r"[a-z0-9.\-/:_]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})")
_BYTES = re.compile(r"[0-9]+(B|KB|MB|GB|TB|PB)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}")
_HOST_PORT = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:\[\]]+):(?P<port>[0-9]{1,5})")
_URL = re.compile(r"https?://(?P<authority>[^/?#\s]+)(?P<rest>[/?#][^\s]*)?")
_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}")
_SLACK_CHANNEL = re.compile(r"#[a-z0-9][a-z0-9._-]{0,79}")
_AWS_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")
_SNS_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,256}")
# Shapes of credentials people paste by mistake: provider tokens, Slack webhooks, AWS keys, JWTs, and
# query parameters that carry a secret. A plain key holding one would put it in a ConfigMap.
TOKEN_SHAPES = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]{10,}|hooks\.slack\.com/services/|gh[pousr]_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_-]{16,}"
    r"|AKIA[0-9A-Z]{16}|sk_live_[A-Za-z0-9]{10,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
    r"|[?&](token|access_token|api_key|apikey|key|secret|password|passwd|pwd|sig|signature)=)",
    re.IGNORECASE)


def _fullmatch(pattern: re.Pattern, expected: str):
    def check(value: str) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"expected {expected}")
        return value

    return check


def no_control_characters(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("contains a control character (newline, tab, NUL, ...); expected one line of text")
    return value


def _no_token(value: str) -> str:
    if TOKEN_SHAPES.search(value):
        raise ValueError("looks like it holds a credential (a token, key or secret URL); plain settings end up in "
                         "ConfigMaps: store credentials with `pulumi config set --secret` in their secret key")
    return value


def duration_seconds(value: str) -> float:
    return sum(int(number) * _SECONDS[unit] for number, unit in _DURATION_PART.findall(value))


def _duration(value: str) -> str:
    _fullmatch(_DURATION, "a Prometheus duration such as 15s, 2m or 30d")(value)
    if duration_seconds(value) <= 0:
        raise ValueError("expected a duration longer than zero, such as 15s")
    return value


def _image(value: str) -> str:
    _fullmatch(_IMAGE, "an image pinned to a version tag or digest (e.g. quay.io/prometheus/prometheus:v2.53.3)")(value)
    if value.endswith(":latest"):
        raise ValueError("expected an image pinned to a version, not :latest")
    return value


def _cidr(value: str) -> str:
    try:
        if CONTROL.search(value) or value != value.strip():
            raise ValueError
        ipaddress.ip_network(value)
    except ValueError:
        raise ValueError("expected a CIDR block such as 10.0.0.1/32") from None
    return value


def _host(value: str) -> str:
    """A DNS name or an IP address."""
    if isinstance(value, str) and _DNS_NAME.fullmatch(value):
        return value
    try:
        ipaddress.ip_address(value.strip("[]") if isinstance(value, str) else value)
        if value == value.strip() and not CONTROL.search(value):
            return value
    except ValueError:
        pass
    raise ValueError("expected a host: a DNS name such as db.example.com or an IP address")


def _host_port(value: str) -> str:
    found = _HOST_PORT.fullmatch(value) if isinstance(value, str) else None
    if not found:
        raise ValueError("expected host:port such as smtp.example.com:587")
    _host(found["host"])
    if not 1 <= int(found["port"]) <= 65535:
        raise ValueError("expected host:port with a port from 1 to 65535")
    return value


def _url(value: str) -> str:
    found = _URL.fullmatch(value) if isinstance(value, str) else None
    if not found or CONTROL.search(value):
        raise ValueError("expected an http(s) URL such as https://example.com/path")
    if "@" in found["authority"]:
        raise ValueError("expected a URL without user or password in it; credentials go in their secret key")
    authority = found["authority"]
    host, _, port = authority.rpartition(":") if not authority.endswith("]") and ":" in authority else (authority, "", "")
    _host(host.lower())
    if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError("expected a URL whose port is from 1 to 65535")
    return _no_token(value)


def _cron(value: str) -> str:
    return schedule.validate_cron(value)


def _slack_channel(value: str) -> str:
    return _fullmatch(_SLACK_CHANNEL, "a Slack channel such as #critical-alerts ('#', then lowercase letters, "
                                      "digits, '-', '_' or '.'; no template syntax)")(value)


Duration = Annotated[str, AfterValidator(_duration)]
Quantity = Annotated[str, AfterValidator(_fullmatch(_QUANTITY, "a Kubernetes quantity such as 500m, 2Gi or 100Gi"))]
DnsName = Annotated[str, AfterValidator(_fullmatch(_DNS_NAME, "a DNS name such as grafana.example.com"))]
DnsLabel = Annotated[str, AfterValidator(_fullmatch(_DNS_LABEL, "a DNS label (lowercase letters, digits, '-')"))]
Host = Annotated[str, AfterValidator(_host)]
HostPort = Annotated[str, AfterValidator(_host_port)]
Image = Annotated[str, AfterValidator(_image)]
ByteSize = Annotated[str, AfterValidator(_fullmatch(_BYTES, "a Prometheus byte size such as 90GB"))]
Email = Annotated[str, AfterValidator(_fullmatch(_EMAIL, "an email address such as sre@example.com"))]
Url = Annotated[str, AfterValidator(_url)]
# The four resource settings of every workload's group: the values differ from group to group, the
# meaning (and so the description) does not.
CpuRequest = Annotated[Quantity, Field(description="CPU request.")]
CpuLimit = Annotated[Quantity, Field(description="CPU limit.")]
MemoryRequest = Annotated[Quantity, Field(description="Memory request.")]
MemoryLimit = Annotated[Quantity, Field(description="Memory limit.")]
Cidr = Annotated[str, AfterValidator(_cidr)]
AbsolutePath = Annotated[str, AfterValidator(_fullmatch(re.compile(r"/[A-Za-z0-9._/-]+"), "an absolute path such as /etc/prometheus/ca.crt"))]
User = Annotated[str, AfterValidator(_fullmatch(_USER, "a user name (letters, digits, '.', '_', '@', '+', '-')")),
                 AfterValidator(_no_token)]
Login = Annotated[str, AfterValidator(_fullmatch(_LOGIN, "a login name (lowercase letters, digits, '.', '_', '-'; "
                                                         "no ':')")), AfterValidator(_no_token)]
DatabaseName = Annotated[str, AfterValidator(_fullmatch(_DB_NAME, "a database name (letters, digits, '_', '-')"))]
SlackChannel = Annotated[str, AfterValidator(_slack_channel)]
SnsTopicArn = Annotated[str, AfterValidator(_fullmatch(_SNS_TOPIC_ARN, "an SNS topic ARN such as "
                                                                       "arn:aws:sns:us-east-1:123456789012:oncall"))]
Replicas = Annotated[int, Field(ge=1, le=10)]
Port = Annotated[int, Field(ge=1, le=65535)]
# The reporter's own validators, so preview refuses exactly what the job would refuse.
Timezone = Annotated[str, AfterValidator(schedule.validate_timezone)]
Cron = Annotated[str, AfterValidator(_cron)]
# A list in the stack file, or a comma-separated string from `pulumi config set`.
Recipients = Annotated[
    list[Email],
    BeforeValidator(lambda value: [item.strip() for item in value.split(",") if item.strip()] if isinstance(value, str) else value),
    AfterValidator(schedule.validate_recipients),
]
S3Bucket = Annotated[str, AfterValidator(_fullmatch(re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"), "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')"))]
S3Prefix = Annotated[str, AfterValidator(_fullmatch(re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*"), "an S3 key prefix without leading or trailing '/' (e.g. reports)"))]
AwsRegion = Annotated[str, AfterValidator(_fullmatch(_AWS_REGION, "an AWS region such as eu-west-2"))]
IamRoleArn = Annotated[str, AfterValidator(_fullmatch(re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+"), "an IAM role ARN such as arn:aws:iam::123456789012:role/sla-reporter"))]


class Group(BaseModel):
    """A group of settings; unknown fields are errors and nothing changes after validation."""

    # Field docstrings are the settings' descriptions (Pulumi.yaml, README table).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
