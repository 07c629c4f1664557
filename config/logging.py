"""Log records that carry the request id, one line each, for a log collector reading stderr.

`RequestIdMiddleware` (config/middleware.py) stores the id of the request being served; the
filter copies it onto every record logged meanwhile, and the formatter folds a traceback into
the same line so a collector never splits one error in two or mixes two workers' output.
A client's mistake is logged as one WARNING line, without a traceback: ERROR is kept for
the server's own faults, so an alert on ERROR means something.
"""

import logging
from contextvars import ContextVar

NO_REQUEST = "-"
current_request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id`: the id of the request being served, or "-" outside one."""

    def filter(self, record):
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or current_request_id.get()
        return True


def is_client_fault(record):
    """A record about the client's mistake rather than the server's own fault.

    Django logs every SuspiciousOperation (a forged Host, too many fields, a body too big, a
    tampered session) on a `django.security.<name>` logger at ERROR, with a traceback, and
    every 4xx response on `django.request` at WARNING, with the traceback of the BadRequest
    or PermissionDenied behind it."""
    if record.name.startswith("django.security."):
        return True
    status = getattr(record, "status_code", None)
    return record.name == "django.request" and status is not None and 400 <= status < 500


class ClientFaultAsWarning(logging.Filter):
    """A client's mistake is one WARNING line without a traceback; ERROR stays for the
    server's own faults, so an alert on ERROR means something (scanners send bad requests
    all day)."""

    def filter(self, record):
        if is_client_fault(record):
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = record.stack_info = None
        return True


class OneLineFormatter(logging.Formatter):
    """The usual format, with the line breaks of messages and tracebacks escaped as `\\n`."""

    def format(self, record):
        return super().format(record).replace("\r", "").replace("\n", "\\n")


def logging_config(level="WARNING"):
    """The LOGGING setting: everything at `level` or above, to stderr, one line a record."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "client_fault": {"()": ClientFaultAsWarning},
        },
        "formatters": {
            "one_line": {
                "()": OneLineFormatter,
                "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["request_id", "client_fault"],
                "formatter": "one_line",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        # Django's own "django" logger only prints when DEBUG is on; let its records reach
        # the root handler instead, so a server error is logged once, in this format.
        # Client mistakes (a forged Host, too many fields, a NUL) arrive there as WARNING
        # lines without a traceback (ClientFaultAsWarning).
        "loggers": {"django": {"handlers": [], "level": level, "propagate": True}},
    }
