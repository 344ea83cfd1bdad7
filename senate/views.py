"""Senate pages: the secretary runs a meeting from one screen; members see what needs them and
vote; the public reads the decision register and the minutes. Thin: each view validates input,
calls one selector or service, and renders. Domain refusals appear as an NHS error summary."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST

from budgets.models import ModelRun, RunStatus, Virement, VirementStatus
from consortia.errors import ApplicationError
from consortia.exports import csv_response
from consortia.models import Organisation, OrganisationKind

from . import exports, services
from .minutes import minutes_docx
from .models import (
    AttendanceStatus,
    Choice,
    DocumentKind,
    DocumentVersion,
    MeetingStatus,
    MotionKind,
    Result,
    StandardKind,
    StandardVersion,
    VersionStatus,
)
from .selectors import (
    care_streams_with_standards,
    decisions_public,
    documents_with_versions,
    item_get_visible,
    item_standing,
    localities_of,
    may_run_senate,
    meeting_agenda,
    meeting_attendance,
    meeting_date,
    meeting_get_visible,
    meeting_minutes,
    meetings_visible_to,
    members_in_force,
    membership_of,
    motion_get_visible,
    paper_get_downloadable,
    senate_commissioner_for,
    senate_commissioners_run_by,
    standard_version_get,
    standards_compliance,
    version_adoptions,
    work_for_member,
)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    return str(exc) or "Your role does not allow this."


def _commissioner(request) -> Organisation:
    """The commissioner whose senate a page shows: the person's own, else the first one."""
    commissioner = (
        senate_commissioner_for(user=request.user) if request.user.is_authenticated else None
    )
    if commissioner is None:
        commissioner = Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER).first()
    if commissioner is None:
        raise Http404("No senate yet.")
    return commissioner


def _secretary_commissioner(request) -> Organisation:
    run = senate_commissioners_run_by(user=request.user)
    if not run:
        raise PermissionDenied("Only the senate secretary runs meetings.")
    return run[0]


# --- Members' and secretary's home ---------------------------------------------------------------


@login_required
def senate_home(request):
    """What needs me: open votes, papers to read, recent decisions; the secretary's meetings."""
    run = senate_commissioners_run_by(user=request.user)
    context = {
        "work": work_for_member(user=request.user),
        "runs_senate": bool(run),
        "meetings": list(
            meetings_visible_to(user=request.user).exclude(status=MeetingStatus.CLOSED)[:10]
        )
        if run
        else [],
    }
    return render(request, "senate/home.html", context)


def meeting_list(request):
    """Every meeting the person may see (published meetings are public)."""
    meetings = meetings_visible_to(user=request.user).select_related("chair__user")
    page = Paginator(meetings, 25).get_page(request.GET.get("page"))
    may_run = bool(request.user.is_authenticated and senate_commissioners_run_by(user=request.user))
    return render(request, "senate/meeting_list.html", {"page": page, "may_run": may_run})


@login_required
def meeting_new(request):
    commissioner = _secretary_commissioner(request)
    today = timezone.localdate()
    chairs = [m for m in members_in_force(commissioner=commissioner, on=today) if m.votes]
    errors, values = [], request.POST
    if request.method == "POST":
        starts_at = parse_datetime(values.get("starts_at", ""))
        chair = next((m for m in chairs if str(m.pk) == values.get("chair")), None)
        if starts_at is None:
            errors.append(("#starts_at", "Enter the date and time of the meeting."))
        if chair is None:
            errors.append(("#chair", "Choose the chair."))
        if not errors:
            if timezone.is_naive(starts_at):
                starts_at = timezone.make_aware(starts_at)
            try:
                meeting = services.meeting_create(
                    actor=request.user,
                    commissioner=commissioner,
                    title=values.get("title", ""),
                    starts_at=starts_at,
                    location=values.get("location", ""),
                    chair=chair,
                )
            except (ApplicationError, PermissionDenied) as exc:
                errors.append(("#title", _refusal(exc)))
            else:
                messages.success(request, f"{meeting} scheduled (draft). Add its agenda.")
                return redirect("senate-meeting", pk=meeting.pk)
    return render(
        request,
        "senate/meeting_new.html",
        {"chairs": chairs, "errors": errors, "values": values},
        status=400 if errors else 200,
    )


# --- The meeting page: the secretary's one screen; members vote and declare here ---------------


def _meeting_page(request, meeting, errors=(), status=200):
    agenda = meeting_agenda(meeting=meeting)
    may_run = request.user.is_authenticated and may_run_senate(
        user=request.user, commissioner=meeting.commissioner
    )
    me = membership_of(
        user=request.user, commissioner=meeting.commissioner, on=meeting_date(meeting)
    )
    live = meeting.status in (MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION)
    items = []
    for item in agenda:
        standing = item_standing(item=item) if (live and (may_run or me)) else None
        for motion in item.motions.all():  # the prefetched objects the template iterates
            votes = list(motion.votes.all())
            motion.voted_member_ids = {v.member_id for v in votes}
            motion.my_vote = next((v for v in votes if me and v.member_id == me.pk), None)
        items.append(
            {
                "item": item,
                "standing": standing,
                "i_may_vote": bool(standing and standing.may_vote(me)),
                "i_declared": bool(
                    me and any(d.member_id == me.pk for d in item.declarations.all())
                ),
            }
        )
    context = {
        "meeting": meeting,
        "items": items,
        "may_run": may_run,
        "me": me,
        "errors": list(errors),
        "attendance": meeting_attendance(meeting=meeting) if may_run else None,
        "choices": Choice.choices,
        "motion_kinds": MotionKind.choices,
        "attendance_statuses": AttendanceStatus.choices,
    }
    if may_run and meeting.status != MeetingStatus.CLOSED:
        context |= {
            "runs": ModelRun.objects.filter(
                commissioner=meeting.commissioner, status=RunStatus.PROPOSED
            ),
            "virements": Virement.objects.filter(
                status=VirementStatus.REQUESTED,
                source__line__commissioner=meeting.commissioner,
            ).select_related("source__organisation", "target__organisation", "source__line"),
            "standard_versions": StandardVersion.objects.filter(
                status=VersionStatus.PROPOSED,
                standard__care_stream__commissioner=meeting.commissioner,
            ).select_related("standard"),
            "document_versions": DocumentVersion.objects.filter(
                status=VersionStatus.PROPOSED, document__commissioner=meeting.commissioner
            ).select_related("document"),
        }
    return render(request, "senate/meeting_detail.html", context, status=status)


def meeting_detail(request, pk: int):
    return _meeting_page(request, meeting_get_visible(user=request.user, pk=pk))


def _act(request, meeting, anchor: str, call, success: str):
    """Run one service call for the meeting page: on success say so and go back to the page;
    on a refusal show the page again with the reason in the error summary."""
    try:
        call()
    except ApplicationError as exc:  # PermissionDenied goes on to the 403 page
        meeting.refresh_from_db()
        return _meeting_page(request, meeting, errors=[(anchor, _refusal(exc))], status=400)
    messages.success(request, success)
    return redirect("senate-meeting", pk=meeting.pk)


def _meeting_for_post(request, pk):
    if not request.user.is_authenticated:
        raise PermissionDenied("Log in first.")
    return meeting_get_visible(user=request.user, pk=pk)


@require_POST
def meeting_publish(request, pk: int):
    meeting = _meeting_for_post(request, pk)
    return _act(
        request,
        meeting,
        "#meeting-actions",
        lambda: services.meeting_publish(actor=request.user, meeting=meeting),
        "Agenda and papers published; members have been told.",
    )


@require_POST
def meeting_open(request, pk: int):
    meeting = _meeting_for_post(request, pk)
    return _act(
        request,
        meeting,
        "#meeting-actions",
        lambda: services.meeting_open(actor=request.user, meeting=meeting),
        "The meeting is in session.",
    )


@require_POST
def meeting_close(request, pk: int):
    meeting = _meeting_for_post(request, pk)
    return _act(
        request,
        meeting,
        "#meeting-actions",
        lambda: services.meeting_close(actor=request.user, meeting=meeting),
        "The meeting is closed. Its minutes are ready.",
    )


@require_POST
def attendance(request, pk: int):
    meeting = _meeting_for_post(request, pk)
    members = {
        str(m.pk): m
        for m in members_in_force(commissioner=meeting.commissioner, on=meeting_date(meeting))
    }
    statuses = {
        members[key.removeprefix("attendance_")]: value
        for key, value in request.POST.items()
        if key.startswith("attendance_")
        and key.removeprefix("attendance_") in members
        and value in AttendanceStatus.values
    }
    return _act(
        request,
        meeting,
        "#attendance",
        lambda: services.attendance_record_many(
            actor=request.user, meeting=meeting, statuses=statuses
        ),
        "Attendance recorded.",
    )


@require_POST
def item_add(request, pk: int):
    meeting = _meeting_for_post(request, pk)
    return _act(
        request,
        meeting,
        "#item-title",
        lambda: services.agenda_item_add(
            actor=request.user,
            meeting=meeting,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
        ),
        "Item added to the agenda.",
    )


@require_POST
def paper_upload(request, pk: int):
    item = item_get_visible(user=request.user, pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        return _meeting_page(
            request, item.meeting, errors=[(f"#paper-{item.pk}", "Choose a file to upload.")],
            status=400,
        )  # fmt: skip
    return _act(
        request,
        item.meeting,
        f"#paper-{item.pk}",
        lambda: services.paper_attach(
            actor=request.user, item=item, title=request.POST.get("title", ""), file=upload
        ),
        "Paper attached.",
    )


@require_POST
def declare(request, pk: int):
    """A member declares their own interest; the secretary may record one for any member."""
    item = item_get_visible(user=request.user, pk=pk)
    meeting = item.meeting
    on = meeting_date(meeting)
    if request.POST.get("member"):
        member = (
            members_in_force(commissioner=meeting.commissioner, on=on)
            .filter(pk=request.POST["member"])
            .first()
        )
    else:
        member = membership_of(user=request.user, commissioner=meeting.commissioner, on=on)
    if member is None:
        raise PermissionDenied("Only members of the senate declare interests.")
    return _act(
        request,
        meeting,
        f"#declare-{item.pk}",
        lambda: services.declaration_record(
            actor=request.user, item=item, member=member, interest=request.POST.get("interest", "")
        ),
        "Interest declared: it is on the record, and the member will not vote on this item.",
    )


def _get_or_none(queryset, pk):
    return queryset.filter(pk=pk).first() if pk and str(pk).isdigit() else None


@require_POST
def motion_propose(request, pk: int):
    item = item_get_visible(user=request.user, pk=pk)
    post = request.POST
    commissioner = item.meeting.commissioner
    kind = post.get("kind", "")
    if kind not in MotionKind.values:
        return _meeting_page(
            request, item.meeting, errors=[(f"#motion-{item.pk}", "Choose the kind of motion.")],
            status=400,
        )  # fmt: skip
    return _act(
        request,
        item.meeting,
        f"#motion-{item.pk}",
        lambda: services.motion_propose(
            actor=request.user,
            item=item,
            kind=kind,
            text=post.get("text", ""),
            model_run=_get_or_none(ModelRun.objects.filter(commissioner=commissioner), post.get("model_run")),
            virement=_get_or_none(Virement.objects.select_related("source__line"), post.get("virement")),
            standard_version=_get_or_none(StandardVersion.objects.select_related("standard__care_stream"),
                                          post.get("standard_version")),
            document_version=_get_or_none(DocumentVersion.objects.select_related("document"),
                                          post.get("document_version")),
        ),
        "Motion proposed. Open the vote when the senate is ready.",
    )  # fmt: skip


@require_POST
def motion_open(request, pk: int):
    motion = motion_get_visible(user=request.user, pk=pk)
    return _act(
        request,
        motion.meeting,
        f"#m{motion.pk}",
        lambda: services.motion_open(actor=request.user, motion=motion),
        f"Vote open on {motion.reference}. Members who may vote have been told.",
    )


@require_POST
def motion_withdraw(request, pk: int):
    motion = motion_get_visible(user=request.user, pk=pk)
    return _act(
        request,
        motion.meeting,
        f"#m{motion.pk}",
        lambda: services.motion_withdraw(actor=request.user, motion=motion),
        f"{motion.reference} withdrawn.",
    )


@login_required
@require_POST
def motion_vote(request, pk: int):
    """A member casts their own vote in the browser."""
    motion = motion_get_visible(user=request.user, pk=pk)
    choice = request.POST.get("choice", "")
    if choice not in Choice.values:
        return _meeting_page(
            request, motion.meeting, errors=[(f"#vote-{motion.pk}", "Choose for, against or abstain.")],
            status=400,
        )  # fmt: skip
    return _act(
        request,
        motion.meeting,
        f"#vote-{motion.pk}",
        lambda: services.vote_cast(actor=request.user, motion=motion, choice=choice),
        f"Your vote on {motion.reference} is recorded: {Choice(choice).label.lower()}.",
    )


@require_POST
def motion_record(request, pk: int):
    """The secretary records a show of hands."""
    motion = motion_get_visible(user=request.user, pk=pk)
    meeting = motion.meeting
    members = {
        str(m.pk): m
        for m in members_in_force(commissioner=meeting.commissioner, on=meeting_date(meeting))
    }
    choices = {
        members[key.removeprefix("hand_")]: value
        for key, value in request.POST.items()
        if key.startswith("hand_")
        and key.removeprefix("hand_") in members
        and value in Choice.values
    }
    return _act(
        request,
        meeting,
        f"#record-{motion.pk}",
        lambda: services.votes_record_show_of_hands(
            actor=request.user, motion=motion, choices=choices
        ),
        f"Show of hands recorded on {motion.reference}.",
    )


@require_POST
def motion_close(request, pk: int):
    motion = motion_get_visible(user=request.user, pk=pk)
    casting = request.POST.get("casting_vote", "")
    return _act(
        request,
        motion.meeting,
        f"#close-{motion.pk}",
        lambda: services.motion_close(actor=request.user, motion=motion, casting_vote=casting),
        f"Vote on {motion.reference} closed; the result is on the register.",
    )


def paper_download(request, pk: int):
    """Papers are never served from MEDIA_URL: only here, as attachments, by their checked type."""
    paper = paper_get_downloadable(user=request.user, pk=pk)
    try:
        handle = paper.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The paper's file is missing.") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=paper.original_name, content_type=paper.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- The public decision register and the minutes -----------------------------------------------


def _register_filters(request) -> dict:
    get = request.GET
    return {
        "result": get.get("result", "") if get.get("result") in Result.values else "",
        "kind": get.get("kind", "") if get.get("kind") in MotionKind.values else "",
        "since": parse_date(get.get("since", "") or "") if _is_date(get.get("since")) else None,
        "until": parse_date(get.get("until", "") or "") if _is_date(get.get("until")) else None,
        "meeting": get.get("meeting", "")[:40],
        "text": get.get("q", "")[:100],
    }


def _is_date(value) -> bool:
    try:
        return bool(value) and parse_date(value) is not None
    except ValueError:
        return False


def register(request):
    """The public decision register: no login, read-only, filterable, exportable."""
    filters = _register_filters(request)
    page = Paginator(decisions_public(**filters), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "results": Result.choices,
        "kinds": MotionKind.choices,
        "query": query.urlencode(),
    }
    return render(request, "senate/register.html", context)


def register_csv(request):
    decisions = decisions_public(**_register_filters(request))
    return csv_response(
        f"senate-decisions-{timezone.localdate():%Y-%m-%d}.csv",
        exports.DECISION_HEADER,
        exports.decision_rows(decisions, base_url=request.build_absolute_uri("/")[:-1]),
    )


def _public_meeting(request, pk: int):
    meeting = meeting_get_visible(user=request.user, pk=pk)
    if meeting.status != MeetingStatus.CLOSED:
        raise Http404("Minutes are published once the meeting has closed.")
    return meeting


def minutes(request, pk: int):
    meeting = _public_meeting(request, pk)
    return render(request, "senate/minutes.html", {"minutes": meeting_minutes(meeting=meeting)})


def minutes_download(request, pk: int):
    meeting = _public_meeting(request, pk)
    content = minutes_docx(meeting_minutes(meeting=meeting))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="minutes-{meeting.reference}.docx"'
    return response


# --- Care streams, standards, compliance, documents -----------------------------------------------


def standards(request):
    commissioner = _commissioner(request)
    context = {
        "streams": care_streams_with_standards(commissioner=commissioner),
        "may_run": request.user.is_authenticated
        and may_run_senate(user=request.user, commissioner=commissioner),
        "kinds": StandardKind.choices,
    }
    return render(request, "senate/standards.html", context)


@login_required
@require_POST
def standard_propose(request):
    commissioner = _secretary_commissioner(request)
    streams = {str(s.pk): s for s in care_streams_with_standards(commissioner=commissioner)}
    post = request.POST
    elements = [(line, True) for line in post.get("mandatory", "").splitlines()] + [
        (line, False) for line in post.get("flexible", "").splitlines()
    ]
    try:
        if post.get("care_stream") not in streams:
            raise ApplicationError("Choose the care stream.")
        version = services.standard_version_propose(
            actor=request.user,
            care_stream=streams[post["care_stream"]],
            code=post.get("code", ""),
            title=post.get("title", ""),
            kind=post.get("kind", StandardKind.STANDARD),
            summary=post.get("summary", ""),
            elements=elements,
        )
    except (ApplicationError, PermissionDenied, ValueError) as exc:
        context = {
            "streams": list(streams.values()),
            "may_run": True,
            "kinds": StandardKind.choices,
            "errors": [("#propose", _refusal(exc))],
            "values": post,
        }
        return render(request, "senate/standards.html", context, status=400)
    messages.success(request, f"{version} proposed. Put it to the senate as a motion.")
    return redirect("senate-standard", pk=version.pk)


def standard_detail(request, pk: int):
    version = standard_version_get(pk=pk)
    commissioner = version.standard.care_stream.commissioner
    localities = localities_of(commissioner)
    adoptions = version_adoptions(version=version)
    may_adopt = []
    if request.user.is_authenticated and version.status == VersionStatus.ADOPTED:
        may_adopt = [loc for loc in localities if services.may_record_adoption(request.user, loc)]
    rows = [
        {
            "locality": loc,
            "adoptions": [adoptions.get(loc.pk, {}).get(e.pk) for e in version.elements.all()],
        }
        for loc in localities
    ]
    return render(
        request,
        "senate/standard_detail.html",
        {"version": version, "rows": rows, "may_adopt": may_adopt, "errors": []},
    )


@login_required
@require_POST
def standard_adopt(request, pk: int):
    version = standard_version_get(pk=pk)
    locality = Organisation.objects.filter(
        code=request.POST.get("locality", ""), kind=OrganisationKind.LOCALITY
    ).first()
    if locality is None:
        raise Http404("No such locality.")
    chosen = {
        e.pk: request.POST.get(f"variation_{e.pk}", "")
        for e in version.elements.all()
        if request.POST.get(f"element_{e.pk}")
    }
    try:
        services.adoption_record(
            actor=request.user, locality=locality, version=version, elements=chosen
        )
    except (ApplicationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect("senate-standard", pk=version.pk)
    messages.success(request, f"{locality.name}'s adoption of {version} recorded.")
    return redirect("senate-standard", pk=version.pk)


def compliance(request):
    commissioner = _commissioner(request)
    return render(
        request,
        "senate/compliance.html",
        {"compliance": standards_compliance(commissioner=commissioner)},
    )


def documents(request):
    commissioner = _commissioner(request)
    return render(
        request,
        "senate/documents.html",
        {
            "documents": documents_with_versions(commissioner=commissioner),
            "may_run": request.user.is_authenticated
            and may_run_senate(user=request.user, commissioner=commissioner),
            "kinds": DocumentKind.choices,
            "errors": [],
        },
    )


@login_required
@require_POST
def document_propose(request):
    commissioner = _secretary_commissioner(request)
    try:
        version = services.document_version_propose(
            actor=request.user,
            commissioner=commissioner,
            kind=request.POST.get("kind", ""),
            text=request.POST.get("text", ""),
            change_summary=request.POST.get("change_summary", ""),
        )
    except (ApplicationError, PermissionDenied, ValueError) as exc:
        messages.error(request, _refusal(exc))
        return redirect("senate-documents")
    messages.success(request, f"{version} proposed. Put it to the senate as a motion.")
    return redirect("senate-documents")
