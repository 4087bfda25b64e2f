"""Waqiti business metrics exporter: the platform's financial metrics from PostgreSQL, for
Prometheus. Run it with `python -m exporter --config exporter/config.yml`; see README.md."""
