"""The deploy steps, as the README's "Deploying" block gives them and the real-engine tier runs them."""

from __future__ import annotations

from model.settings import SECRETS, settings_for_stack


def required_secrets(stack: str) -> list[str]:
    """The secrets the stack's settings require, in the order the README lists them."""
    settings = settings_for_stack(stack)
    return [spec.key for spec in SECRETS if spec.required_if is not None and spec.required_if(settings)]


def deploy_commands(stack: str, backend: str, values: dict[str, str]) -> list[list[str]]:
    """`pulumi` arguments, in order: log in, create the stack, set its secrets, preview, deploy, show outputs."""
    return [
        ["login", backend],
        ["stack", "init", stack],
        *[["config", "set", "--secret", key, values[key]] for key in required_secrets(stack)],
        ["preview"],
        ["up", "--yes"],
        ["stack", "output"],
    ]
