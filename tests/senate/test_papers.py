"""Meeting papers: only genuine PDF, DOCX, XLSX or ODT files of at most 10 MB; served through a
view (never from MEDIA_URL); a draft meeting's papers only to the secretary."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from senate.demo import _demo_pdf
from senate.services import agenda_item_add, meeting_create, meeting_publish

pytestmark = pytest.mark.django_db


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PDF = _demo_pdf("Paper", ["A line"])
DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})


@pytest.fixture
def draft_item(cumbria, secretary, member):
    import datetime as dt

    from django.utils import timezone

    meeting = meeting_create(
        actor=secretary,
        commissioner=cumbria,
        title="Senate (papers)",
        starts_at=timezone.now() + dt.timedelta(days=7),
        chair=member("lead.carlisle"),
    )
    return agenda_item_add(actor=secretary, meeting=meeting, title="Papers item")


def _upload(client, item, name, content):
    return client.post(
        f"/senate/items/{item.pk}/papers/",
        {"title": name, "file": SimpleUploadedFile(name, content)},
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("plan.pdf", PDF, "application/pdf"),
        ("plan.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("figures.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("plan.odt", ODT, "application/vnd.oasis.opendocument.text"),
    ],
)  # fmt: skip
def test_the_secretary_attaches_each_accepted_type(client, secretary, draft_item, name, content,
                                                    content_type):  # fmt: skip
    client.force_login(secretary)

    assert _upload(client, draft_item, name, content).status_code == 302
    paper = draft_item.papers.get()
    response = client.get(f"/senate/papers/{paper.pk}/")
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content
    response.close()
    assert paper.file.name.startswith("senate/papers/") and name not in paper.file.name


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("minutes.pdf", b"MZ\x90\x00 this is a program", "its content is not"),
        ("plan.docx", XLSX, "its content is not"),  # an XLSX renamed
        ("plan.odt", _zip({"mimetype": b"application/zip", "content.xml": b"x"}), "content is not"),
        ("script.html", b"<script>alert(1)</script>", "Upload a PDF"),
        ("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "at most 10 MB"),
    ],
    ids=["not-a-pdf", "xlsx-as-docx", "not-an-odt", "html", "too-big"],
)
def test_anything_else_is_refused_with_a_reason(client, secretary, draft_item, name, content,
                                                message):  # fmt: skip
    client.force_login(secretary)

    response = _upload(client, draft_item, name, content)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not draft_item.papers.exists()


def test_a_draft_meetings_papers_are_the_secretarys_until_published(client, secretary, person,
                                                                    draft_item):  # fmt: skip
    client.force_login(secretary)
    _upload(client, draft_item, "plan.pdf", PDF)
    url = f"/senate/papers/{draft_item.papers.get().pk}/"
    client.logout()

    assert client.get(url).status_code == 404  # the public
    client.force_login(person("lead.carlisle"))
    assert client.get(url).status_code == 404  # a member, before publication
    meeting_publish(actor=secretary, meeting=draft_item.meeting)
    client.logout()
    response = client.get(url)
    response.close()
    assert response.status_code == 200  # linked from the public register


def test_only_the_secretary_attaches_papers(client, person, draft_item):
    meeting_publish(actor=person("secretary"), meeting=draft_item.meeting)
    client.force_login(person("lead.carlisle"))

    assert _upload(client, draft_item, "plan.pdf", PDF).status_code == 403
