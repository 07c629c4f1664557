from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .dataset import build_dataset


@require_GET
def dataset(request):
    """The whole published dataset, schema documented in README.md."""
    return JsonResponse(build_dataset(), json_dumps_params={"indent": 1, "ensure_ascii": False})
