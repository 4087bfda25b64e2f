"""Stack files are read as the Pulumi CLI reads them: a key given twice, or a file that is not a
mapping, is an error naming the file (YAML alone would keep the last value silently)."""

from __future__ import annotations

import pytest

from model.settings import SettingsError, read_stack_file


def test_a_key_given_twice_is_refused(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  waqiti-monitoring:environment: dev\n  waqiti-monitoring:prometheusReplicas: 1\n"
                    "  waqiti-monitoring:prometheusReplicas: 5\n")
    with pytest.raises(SettingsError, match=r"line 4: key 'waqiti-monitoring:prometheusReplicas' is given twice"):
        read_stack_file(path)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "config: [1, 2]\n"])
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path, text):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=str(path)):
        read_stack_file(path)


def test_invalid_yaml_is_a_settings_error(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  a: [\n")
    with pytest.raises(SettingsError, match="not valid YAML"):
        read_stack_file(path)
