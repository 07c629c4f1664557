"""Log records that carry the request id, one line each, for a log collector reading stderr.

`RequestIdMiddleware` (config/middleware.py) stores the id of the request being served; the
filter copies it onto every record logged meanwhile, and the formatter folds a traceback into
the same line so a collector never splits one error in two or mixes two workers' output.
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


class AsWarning(logging.Filter):
    """Logs a record at WARNING: for client mistakes that Django reports as errors."""

    def filter(self, record):
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
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
        "filters": {"request_id": {"()": RequestIdFilter}, "as_warning": {"()": AsWarning}},
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
                "filters": ["request_id"],
                "formatter": "one_line",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        # Django's own "django" logger only prints when DEBUG is on; let its records reach
        # the root handler instead, so a server error is logged once, in this format.
        # A request for a host not in ALLOWED_HOSTS is a 400 caused by the client (scanners
        # send them all day): a warning, so it does not page anyone who alerts on errors.
        "loggers": {
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.security.DisallowedHost": {"filters": ["as_warning"], "propagate": True},
        },
    }
