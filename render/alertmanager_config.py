"""alertmanager.yml for a stack (placeholder until the routing content lands)."""

from components.settings import Settings

SECRET_FILES = {"slack-webhook-url": "slackWebhookUrl", "pagerduty-routing-key": "pagerdutyRoutingKey", "smtp-password": "smtpPassword", "remediation-webhook-token": "remediationWebhookToken"}


def render_alertmanager_files(settings: Settings) -> dict[str, str]:
    return {
        "alertmanager.yml": "route:\n  receiver: slack\nreceivers:\n  - name: slack\n    slack_configs:\n      - api_url_file: /etc/alertmanager/secrets/slack-webhook-url\n        channel: '#critical-alerts'\ntemplates: [/etc/alertmanager/templates/*.tmpl]\n",
        "templates/waqiti.tmpl": '{{ define "waqiti.title" }}{{ .CommonLabels.alertname }}{{ end }}\n',
    }
