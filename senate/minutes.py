"""The minutes of a meeting as a Word document (python-docx), from `selectors.meeting_minutes`.

The printable HTML page and this file say the same things: attendance, declarations of
interest, papers, and each motion with its result, tally and every member's vote.
"""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from docx import Document

from .models import VoteMethod
from .selectors import tally_text


def minutes_docx(minutes: dict) -> bytes:
    meeting = minutes["meeting"]
    doc = Document()
    doc.core_properties.title = f"Minutes: {meeting.title}"
    doc.add_heading(f"Minutes: {meeting.title}", level=0)
    when = timezone.localtime(meeting.starts_at)
    doc.add_paragraph(
        f"{meeting.commissioner.name} clinical senate. Reference {meeting.reference}. "
        f"{when:%-d %B %Y, %H:%M}{', ' + meeting.location if meeting.location else ''}."
    )
    if meeting.chair_id:
        doc.add_paragraph(f"Chair: {meeting.chair.user} ({meeting.chair.title}).")
    doc.add_heading("Present", level=1)
    for member in minutes["present"]:
        vote_note = "" if member.votes else " (no vote)"
        doc.add_paragraph(f"{member.user}, {member.title}{vote_note}", style="List Bullet")
    if minutes["apologies"]:
        doc.add_heading("Apologies", level=1)
        for member in minutes["apologies"]:
            doc.add_paragraph(f"{member.user}, {member.title}", style="List Bullet")
    for item in minutes["items"]:
        doc.add_heading(f"{item.number}. {item.title}", level=1)
        if item.description:
            doc.add_paragraph(item.description)
        declarations = list(item.declarations.all())
        if declarations:
            doc.add_paragraph("Declarations of interest:").runs[0].bold = True
            for d in declarations:
                doc.add_paragraph(
                    f"{d.member.user} declared: {d.interest}. They did not vote on this item and "
                    "did not count toward its quorum.",
                    style="List Bullet",
                )
        for paper in item.papers.all():
            doc.add_paragraph(f"Paper: {paper.title} ({paper.original_name})", style="List Bullet")
        for motion in item.motions.all():
            doc.add_paragraph().add_run(f"Motion {motion.reference}: {motion.text}").bold = True
            if motion.result:
                doc.add_paragraph(
                    f"{motion.get_result_display().upper()}: {tally_text(motion)}. "
                    f"{motion.consequence}"
                )
                table = doc.add_table(rows=1, cols=3)
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, ["Member", "Vote", "How"], strict=True):
                    cell.text = text
                for vote in motion.votes.all():
                    row = table.add_row().cells
                    row[0].text = f"{vote.member.user}, {vote.member.title}"
                    row[1].text = vote.get_choice_display()
                    row[2].text = (
                        "Show of hands" if vote.method == VoteMethod.SHOW_OF_HANDS else "Browser"
                    )
            else:
                doc.add_paragraph(motion.get_status_display())
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
