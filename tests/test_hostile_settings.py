"""Every hostile or careless setting of tests/data/hostile-settings.yml, tried on the real program
(tests/settings_attack.py): an error naming its key before any resource and without repeating
the value, or a render the real tools accept. Never a traceback, a crash after resources, a render a
tool rejects, or an injection."""

from __future__ import annotations

import pytest

from tests.settings_attack import hostile_settings, try_all

pytestmark = pytest.mark.slow


def test_the_list_is_substantial_and_covers_each_kind_of_attack():
    attempts = hostile_settings()
    assert len(attempts) >= 60
    values = [str(a.value) for a in attempts]
    assert any("\n[" in v for v in values) and any("{{" in v for v in values) and any("@" in v and "://" in v for v in values)
    assert any(a.secret for a in attempts)


def test_every_hostile_setting_is_a_named_error_or_a_render_the_tools_accept():
    outcomes = try_all("production")
    bad = [(o.outcome, o.attempt.key, o.attempt.value, o.detail) for o in outcomes if o.outcome not in ("named", "accepted")]
    assert not bad, "\n".join(map(str, bad))
