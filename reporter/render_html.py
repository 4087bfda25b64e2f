"""The report as an HTML email body; charts are referenced by Content-ID (cid:) images."""
from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from reporter.layout import Document

_environment = Environment(loader=PackageLoader("reporter", "templates"), autoescape=select_autoescape(["j2"]),
                           trim_blocks=True, lstrip_blocks=True)


def render_html(document: Document, cids: dict[str, str]) -> str:
    """`cids` maps chart name to the Content-ID (without <>) its image has in the email."""
    return _environment.get_template("report.html.j2").render(doc=document, cids=cids)
