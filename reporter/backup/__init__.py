"""Backups to S3: Prometheus TSDB snapshots, Grafana's configuration, Alertmanager's silences."""
