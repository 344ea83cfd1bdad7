"""Senate pages, included from consortia/urls.py at /senate/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.senate_home, name="senate-home"),
    path("register/", views.register, name="senate-register"),
    path("register.csv", views.register_csv, name="senate-register-csv"),
    path("meetings/", views.meeting_list, name="senate-meetings"),
    path("meetings/new/", views.meeting_new, name="senate-meeting-new"),
    path("meetings/<id:pk>/", views.meeting_detail, name="senate-meeting"),
    path("meetings/<id:pk>/publish/", views.meeting_publish, name="senate-meeting-publish"),
    path("meetings/<id:pk>/open/", views.meeting_open, name="senate-meeting-open"),
    path("meetings/<id:pk>/close/", views.meeting_close, name="senate-meeting-close"),
    path("meetings/<id:pk>/attendance/", views.attendance, name="senate-attendance"),
    path("meetings/<id:pk>/items/", views.item_add, name="senate-item-add"),
    path("meetings/<id:pk>/minutes/", views.minutes, name="senate-minutes"),
    path("meetings/<id:pk>/minutes.docx", views.minutes_download, name="senate-minutes-docx"),
    path("items/<id:pk>/papers/", views.paper_upload, name="senate-paper-upload"),
    path("items/<id:pk>/declarations/", views.declare, name="senate-declare"),
    path("items/<id:pk>/motions/", views.motion_propose, name="senate-motion-propose"),
    path("motions/<id:pk>/open/", views.motion_open, name="senate-motion-open"),
    path("motions/<id:pk>/withdraw/", views.motion_withdraw, name="senate-motion-withdraw"),
    path("motions/<id:pk>/vote/", views.motion_vote, name="senate-vote"),
    path("motions/<id:pk>/record/", views.motion_record, name="senate-motion-record"),
    path("motions/<id:pk>/close/", views.motion_close, name="senate-motion-close"),
    path("papers/<id:pk>/", views.paper_download, name="senate-paper"),
    path("standards/", views.standards, name="senate-standards"),
    path("standards/propose/", views.standard_propose, name="senate-standard-propose"),
    path("standards/compliance/", views.compliance, name="senate-compliance"),
    path("standards/<id:pk>/", views.standard_detail, name="senate-standard"),
    path("standards/<id:pk>/adopt/", views.standard_adopt, name="senate-standard-adopt"),
    path("documents/", views.documents, name="senate-documents"),
    path("documents/propose/", views.document_propose, name="senate-document-propose"),
]
