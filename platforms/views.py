import json

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from .dataset import build_dataset


@require_safe
def dataset(request):
    """The whole published dataset, schema documented in README.md.

    Compact JSON (no indentation, no spaces after `,` and `:`), non-ASCII text as itself:
    Python's C encoder writes it in one call, several times faster than indented output or
    a streamed one (streaming takes the pure-Python encoder, and the page cache keeps only
    whole bodies). Browsers' JSON viewers and `jq` indent it for reading.
    """
    body = json.dumps(build_dataset(), ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, content_type="application/json")
