"""Tested = deployed: the binaries every test, drill, benchmark and `make local` runs are the
versions the images pin."""
from __future__ import annotations

import re
import subprocess

import pytest

from model.settings import AlertmanagerSettings, BlackboxSettings, NodeExporterSettings, PrometheusSettings
from testsupport.pinned_tools import binary, image_version, module_version, project_of

# Each binary the tests run, and the settings whose image it must match.
PINNED_BY = {"prometheus": PrometheusSettings, "promtool": PrometheusSettings, "alertmanager": AlertmanagerSettings,
             "amtool": AlertmanagerSettings, "node_exporter": NodeExporterSettings,
             "blackbox_exporter": BlackboxSettings}


@pytest.mark.parametrize("command", PINNED_BY)
def test_each_binary_reports_the_version_its_image_pins(command):
    result = subprocess.run([binary(command), "--version"], capture_output=True, text=True, timeout=30)
    found = re.search(rf"^{command}, version (\S+)", result.stdout + result.stderr, re.M)
    assert found, result.stdout + result.stderr
    image = PINNED_BY[command]().image
    assert found.group(1) == image_version(image) == project_of(command).version, image


@pytest.mark.parametrize("image, version", [
    ("quay.io/prometheus/prometheus:v3.13.5", "3.13.5"), ("quay.io/prometheus/alertmanager:v0.35.0", "0.35.0"),
    ("registry.example.com/mirror/prometheus:3.5.0", "3.5.0"),
])
def test_version_from_the_image_tag(image, version):
    assert image_version(image) == version


@pytest.mark.parametrize("image", ["quay.io/prometheus/prometheus@sha256:" + "a" * 64, "quay.io/prometheus/prometheus:v3.13",
                                   "quay.io/prometheus/prometheus:main"])
def test_an_image_without_a_version_tag_is_refused_with_what_is_expected(image):
    with pytest.raises(ValueError, match="expected an image pinned to a version tag"):
        image_version(image)


@pytest.mark.parametrize("module, version, served", [
    ("github.com/prometheus/prometheus", "3.13.5", "v0.313.5"), ("github.com/prometheus/prometheus", "3.5.0", "v0.305.0"),
    ("github.com/prometheus/prometheus", "2.53.3", "v0.53.3"), ("github.com/prometheus/alertmanager", "0.35.0", "v0.35.0"),
    ("github.com/prometheus/node_exporter", "1.8.2", "v1.8.2"), ("github.com/prometheus/blackbox_exporter", "0.25.0", "v0.25.0"),
])
def test_go_module_version_of_a_release(module, version, served):
    assert module_version(module, version) == served


def test_a_missing_build_names_the_version_and_make_deps(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"promtool 3\.\d+\.\d+ .* run `make deps`"):
        binary("promtool")
