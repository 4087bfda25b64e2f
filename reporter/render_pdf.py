"""The report as a PDF (reportlab), the copy that is attached to the email and archived for audit."""
from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from reporter import layout
from reporter.layout import Document

TONES = {layout.GOOD: (colors.HexColor("#e8f5e9"), colors.HexColor("#1b5e20")),
         layout.BAD: (colors.HexColor("#ffebee"), colors.HexColor("#b71c1c")),
         layout.MISSING: (colors.HexColor("#f5f5f5"), colors.HexColor("#616161"))}
PAGE = landscape(A4)
MARGIN = 1.2 * cm


def _table(block: layout.Table, styles) -> Table:
    cell_style = styles["BodyText"].clone("cell", fontSize=7.5, leading=9)
    head_style = cell_style.clone("head", fontName="Helvetica-Bold")
    data = [[Paragraph(escape(h), head_style) for h in block.header]]
    data += [[Paragraph(escape(c.text), cell_style) for c in row] for row in block.rows]
    table = Table(data, repeatRows=1)
    commands = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bdbdbd")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP")]
    for r, row in enumerate(block.rows, start=1):
        for c, cell in enumerate(row):
            if cell.tone in TONES:
                commands.append(("BACKGROUND", (c, r), (c, r), TONES[cell.tone][0]))
    table.setStyle(TableStyle(commands))
    return table


def render_pdf(document: Document, charts: dict[str, bytes]) -> bytes:
    styles = getSampleStyleSheet()
    story = [Paragraph(escape(document.title), styles["Title"]),
             Paragraph(escape(document.subtitle), styles["Italic"])]
    width = PAGE[0] - 2 * MARGIN
    for section in document.sections:
        heading = Paragraph(escape(section.title), styles["Heading2"])
        first = True
        for block in section.blocks:
            if isinstance(block, layout.Paragraph):
                flowable = Paragraph(escape(block.text), styles["BodyText"])
            elif isinstance(block, layout.Chart):
                image = Image(io.BytesIO(charts[block.name]))
                scale = min(1.0, width * 0.62 / image.drawWidth)   # two charts fit on a page
                image.drawWidth, image.drawHeight = image.drawWidth * scale, image.drawHeight * scale
                flowable = KeepTogether([image, Paragraph(escape(block.caption), styles["Italic"])])
            elif block.rows:
                flowable = _table(block, styles)
            else:
                flowable = Paragraph(f"<i>{escape(block.empty_text)}</i>", styles["BodyText"])
            story += [KeepTogether([heading, flowable]) if first else flowable, Spacer(1, 6)]
            first = False
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                      bottomMargin=MARGIN, title=document.title, author="Waqiti monitoring").build(story)
    return buffer.getvalue()
