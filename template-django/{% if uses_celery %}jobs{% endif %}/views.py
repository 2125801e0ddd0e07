"""Queue the example task and read its result over HTTP, for signed-in users only.

POST /jobs/count-users/ queues `count_users` and answers 202 with the task's id;
GET /jobs/<id>/ tells whether it has finished and its result. From the command line:
`python manage.py count_users`.
"""

from celery.result import AsyncResult
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .tasks import count_users


@login_required
@require_POST
def queue_count_users(request: HttpRequest) -> JsonResponse:
    """Queue the example task; the worker runs it."""
    result = count_users.delay()
    return JsonResponse(
        {"task_id": result.id, "result_url": reverse("job-result", args=[result.id])},
        status=202,
    )


@login_required
@require_GET
def job_result(request: HttpRequest, task_id: str) -> JsonResponse:
    """The state of a queued task, and its value once it has succeeded."""
    result = AsyncResult(task_id)
    value = result.get() if result.successful() else None
    return JsonResponse({"task_id": task_id, "state": result.state, "value": value})
