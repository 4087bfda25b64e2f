"""Waqiti SLA reporter and backup jobs (run as Kubernetes CronJobs): `python -m reporter --help`."""
