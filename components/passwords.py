"""Secrets that may be generated: the configured secret when there is one, else a pulumi-random password."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_random as random


def configured_or_generated(
    name: str, configured: Optional[pulumi.Output[str]], length: int = 32, parent: Optional[pulumi.Resource] = None, former_parent: Optional[pulumi.Resource] = None
) -> pulumi.Output[str]:
    """The configured secret, or a random one kept in the stack state (stable across `pulumi up`).

    `former_parent`: where the password was created before it moved into its component (the stack),
    so that a stack deployed before keeps its generated password instead of getting a new one.
    """
    if configured is not None:
        return pulumi.Output.secret(configured)
    aliases = [pulumi.Alias(parent=former_parent)] if former_parent is not None else None
    password = random.RandomPassword(
        name,
        length=length,
        special=False,  # safe inside htpasswd, URLs and ini files without escaping
        opts=pulumi.ResourceOptions(parent=parent, aliases=aliases),
    )
    return pulumi.Output.secret(password.result)
