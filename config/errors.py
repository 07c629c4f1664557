"""The 500 page, with the request id (config/middleware.py) a person can quote in a report."""

from django.http import HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error(request):
    # Like Django's own handler: no context processors, nothing that may have failed.
    template = loader.get_template("500.html")
    request_id = getattr(request, "request_id", "")
    return HttpResponseServerError(template.render({"request_id": request_id}))
