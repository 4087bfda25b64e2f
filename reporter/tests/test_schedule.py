"""The validators the Pulumi settings model calls at preview time."""
import pytest

from model.schedule import DEFAULT_SCHEDULES, validate_cron, validate_email, validate_recipients, validate_timezone


def test_good_values_pass_normalised():
    assert validate_timezone(" Asia/Dubai ") == "Asia/Dubai"
    assert validate_cron("0  8 * * 1") == "0 8 * * 1"
    assert validate_recipients("sre@waqiti.example, cfo@finance.waqiti.example") == [
        "sre@waqiti.example", "cfo@finance.waqiti.example"]
    assert all(validate_cron(expression) for expression in DEFAULT_SCHEDULES.values())


@pytest.mark.parametrize("call, message", [
    (lambda: validate_timezone("Mars/Olympus"), "unknown timezone: expected an IANA name"),
    (lambda: validate_timezone(""), "timezone must be an IANA name"),
    (lambda: validate_cron("0 8 * *"), "expected a 5-field cron schedule"),
    (lambda: validate_cron("0 25 * * *"), "expected a 5-field cron schedule"),
    (lambda: validate_cron("@daily"), "expected a 5-field cron schedule"),
    (lambda: validate_recipients([]), "at least one email address"),
    (lambda: validate_recipients(" , "), "at least one email address"),
    (lambda: validate_recipients(["sre@waqiti.example", "not-an-address"]), "invalid email address: expected something like"),
    (lambda: validate_email("Ops <ops@waqiti.example>"), "invalid email address"),
    (lambda: validate_email("ops@localhost"), "invalid email address"),
])
def test_bad_values_fail_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
