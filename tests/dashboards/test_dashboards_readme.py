"""The README's panel list is what the code renders."""

from render.dashboards.readme import README, STACK, render_readme

from model.settings import settings_for_stack


def test_readme_is_up_to_date():
    assert README.read_text(encoding="utf-8") == render_readme(settings_for_stack(STACK)), (
        "render/dashboards/README.md is stale: run `.venv/bin/python -m render.dashboards.readme`"
    )


def test_readme_lists_every_dashboard_and_panel(dashboards):
    text = README.read_text(encoding="utf-8")
    for dashboard in dashboards:
        assert f"(`{dashboard['uid']}`)" in text
