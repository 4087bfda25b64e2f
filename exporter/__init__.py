"""Waqiti business metrics exporter: the platform's financial metrics from PostgreSQL, for
Prometheus. Run it with `python -m exporter --config exporter/config.yml`; see README.md."""

# Where it serves /metrics, /healthz and /readyz unless told otherwise: the image's command and
# health check rely on it. The Deployment names the same port (model/endpoints.py EXPORTER, which
# imports nothing of this package; a test checks that the two agree).
DEFAULT_PORT = 9450
