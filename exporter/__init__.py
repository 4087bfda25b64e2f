"""Waqiti business metrics exporter: the platform's financial metrics from PostgreSQL, for
Prometheus. Run it with `python -m exporter --config exporter/config.yml`; see README.md."""

# Where it serves /metrics, /healthz and /readyz unless told otherwise. The Deployment and the image
# name the same port (model/endpoints.py EXPORTER, which imports nothing of this package; tests hold
# the two, and the Dockerfile, together).
DEFAULT_PORT = 9450
