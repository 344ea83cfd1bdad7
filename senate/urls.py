"""Senate pages, included from consortia/urls.py at /senate/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.senate_home, name="senate-home"),
    path("register/", views.register, name="senate-register"),
    path("register.csv", views.register_csv, name="senate-register-csv"),
    path("meetings/", views.meeting_list, name="senate-meetings"),
    path("meetings/new/", views.meeting_new, name="senate-meeting-new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="senate-meeting"),
    path("meetings/<int:pk>/publish/", views.meeting_publish, name="senate-meeting-publish"),
    path("meetings/<int:pk>/open/", views.meeting_open, name="senate-meeting-open"),
    path("meetings/<int:pk>/close/", views.meeting_close, name="senate-meeting-close"),
    path("meetings/<int:pk>/attendance/", views.attendance, name="senate-attendance"),
    path("meetings/<int:pk>/items/", views.item_add, name="senate-item-add"),
    path("meetings/<int:pk>/minutes/", views.minutes, name="senate-minutes"),
    path("meetings/<int:pk>/minutes.docx", views.minutes_download, name="senate-minutes-docx"),
    path("items/<int:pk>/papers/", views.paper_upload, name="senate-paper-upload"),
    path("items/<int:pk>/declarations/", views.declare, name="senate-declare"),
    path("items/<int:pk>/motions/", views.motion_propose, name="senate-motion-propose"),
    path("motions/<int:pk>/open/", views.motion_open, name="senate-motion-open"),
    path("motions/<int:pk>/withdraw/", views.motion_withdraw, name="senate-motion-withdraw"),
    path("motions/<int:pk>/vote/", views.motion_vote, name="senate-vote"),
    path("motions/<int:pk>/record/", views.motion_record, name="senate-motion-record"),
    path("motions/<int:pk>/close/", views.motion_close, name="senate-motion-close"),
    path("papers/<int:pk>/", views.paper_download, name="senate-paper"),
    path("standards/", views.standards, name="senate-standards"),
    path("standards/propose/", views.standard_propose, name="senate-standard-propose"),
    path("standards/compliance/", views.compliance, name="senate-compliance"),
    path("standards/<int:pk>/", views.standard_detail, name="senate-standard"),
    path("standards/<int:pk>/adopt/", views.standard_adopt, name="senate-standard-adopt"),
    path("documents/", views.documents, name="senate-documents"),
    path("documents/propose/", views.document_propose, name="senate-document-propose"),
]
