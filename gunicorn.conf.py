"""gunicorn settings: `gunicorn` run from the repository root reads this file.

Everything that differs between machines comes from the environment:

- BIND (e.g. "0.0.0.0:8000" or "unix:/run/teletherapy/gunicorn.sock"), else 0.0.0.0:$PORT
  when PORT is set (platforms that assign one), else 127.0.0.1:8000.
- WEB_CONCURRENCY: worker processes, default 2 x CPU cores + 1. Workers share nothing but
  the database, so any number of them, on any number of machines, can serve the site.
- SECURE_PROXY_SSL_HEADER: the one header (e.g. X-Forwarded-Proto) the reverse proxy sets
  to "https"; the same variable Django reads. Unset, no forwarded header is trusted at all.
- FORWARDED_ALLOW_IPS: the addresses of that proxy, default 127.0.0.1 (a proxy on the same
  machine). Comma-separated, or "*" only when nothing but the proxy can reach gunicorn
  (e.g. a private network or a socket).
"""

import gc
import multiprocessing
import os

wsgi_app = "config.wsgi:application"

if os.environ.get("BIND"):
    bind = [os.environ["BIND"]]
elif os.environ.get("PORT"):
    bind = [f"0.0.0.0:{os.environ['PORT']}"]
else:
    bind = ["127.0.0.1:8000"]

workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# A request that takes longer than this is stuck: the worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows; jitter avoids all at once. Not
# often: a new worker starts with an empty page cache (config/caching.py), so at a few
# hundred requests/s a low limit turns every recycle into a burst of uncached renders.
max_requests = 50_000
max_requests_jitter = 5_000
# Import Django once in the master, so a replacement worker forks ready to serve. Safe: no
# database connection is opened at import time.
preload_app = True

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Forwarded headers: gunicorn by default believes X-Forwarded-Proto, X-Forwarded-Protocol
# and X-Forwarded-Ssl from FORWARDED_ALLOW_IPS, so a client on this machine (or a proxy that
# passes them through) could turn off Django's HTTPS redirect. Trust exactly one header, the
# one the proxy sets and Django reads, SECURE_PROXY_SSL_HEADER (config/settings/prod.py),
# and none when it is unset. No SCRIPT_NAME or PATH_INFO from headers either.
if _proxy_ssl_header := os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip():
    secure_scheme_headers = {_proxy_ssl_header.upper(): "https"}
else:
    secure_scheme_headers = {}
forwarder_headers = ""

# Access log and gunicorn's own errors to stdout/stderr, for the process manager to collect.
# Each access line ends with the request id (config/middleware.py), which the proxy may set
# with X-Request-ID, so it can be matched with Django's log lines for the same request.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" id=%({x-request-id}o)s'

# gunicorn's runtime control socket (in the user's home by default) is not used here.
control_socket_disable = True


def when_ready(server):
    """The app is loaded in the master (preload_app), before the workers fork: its objects
    (Django, the URLconf, the compiled settings) are moved out of the cycle collector's
    reach, so a worker's full collections walk only what its requests made, and the pages
    they share with the master stay shared instead of being copied as the collector touches
    them."""
    gc.collect()
    gc.freeze()
