"""The ground floor: what every other layer reads and nothing here imports from them.

- settings/  the typed model of a stack's config (value types, one module per group, secrets, load)
- endpoints  names, ports and mount paths of every server the stack runs
- slo        the SLO spec of configs/slo.yml
- schedule   validators of cron schedules, timezones and recipients (shared with the reporter image)
- urls       public URLs, the runbook URL
- yamltext   the one YAML writer of every generated file
- hosts      where a host of the settings lives (Service namespace, IP), for the NetworkPolicies

Importing this package imports nothing heavy: each module is imported by name.
"""
