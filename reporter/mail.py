"""Sends the report: HTML body with the charts inline (cid:) and the PDF attached."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from reporter.layout import Document
from reporter.render_html import render_html
from reporter.settings import SmtpSettings

log = logging.getLogger(__name__)


def build_message(document: Document, charts: dict[str, bytes], pdf: bytes, pdf_name: str,
                  sender: str, recipients: list[str]) -> EmailMessage:
    cids = {name: make_msgid(domain="waqiti.report")[1:-1] for name in charts}
    message = EmailMessage()
    message["Subject"] = document.title
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message.set_content(f"{document.title}\n{document.subtitle}\n\nThe report is in the HTML part and the "
                        f"attached PDF ({pdf_name}).")
    message.add_alternative(render_html(document, cids), subtype="html")
    html_part = message.get_payload()[-1]
    for name, png in charts.items():
        html_part.add_related(png, "image", "png", cid=f"<{cids[name]}>", filename=f"{name}.png")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    return message


def send(message: EmailMessage, smtp: SmtpSettings, timeout: float = 60.0) -> None:
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message, from_addr=smtp.sender, to_addrs=smtp.recipients)
    log.info("report emailed to %d recipient(s) via %s:%d", len(smtp.recipients), smtp.host, smtp.port)
