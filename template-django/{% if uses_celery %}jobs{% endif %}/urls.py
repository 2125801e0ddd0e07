"""The example task's URLs, mounted at /jobs/ (see views.py)."""

from django.urls import path

from .views import job_result, queue_count_users

urlpatterns = [
    path("count-users/", queue_count_users, name="job-count-users"),
    path("<str:task_id>/", job_result, name="job-result"),
]
