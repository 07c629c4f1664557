"""What the benchmark measures: the URLs, the headers every client sends, the slow clients."""

NEEDS = "need=baa&need=waiting-room&need=browser-join"
# What every browser and HTTP library sends; the app compresses only /platforms.json over
# 1 MB (config/caching.py), the rest is left to a proxy.
CLIENT_HEADERS = {"Accept-Encoding": "gzip, deflate, br"}


# (key, label, path, extra headers)
URLS = [
    ("healthz", "/healthz (baseline)", "/healthz", {}),
    ("list", "List page", "/", {}),
    ("filtered", "Filtered list, 3 needs", f"/?{NEEDS}", {}),
    ("fragment", "htmx fragment of that filter", f"/?{NEEDS}", {"HX-Request": "true"}),
    ("platform", "Platform page", "/platforms/zoom/", {}),
    ("compare", "4-way compare", "/compare/?p=zoom&p=webex&p=doxy-me&p=vsee", {}),
    ("json", "/platforms.json", "/platforms.json", {}),
]


# Slow clients (issue 15): this many connections send their headers a byte every half second
# while normal requests are timed, for SLOW_SECONDS (inside nginx's client_header_timeout,
# 10 s, so that they stay open throughout); a normal request counts when it answers 200
# within SLOW_OK_SECONDS.
SLOW_CLIENTS = 50
SLOW_SECONDS = 7
SLOW_OK_SECONDS = 1.0
SLOW_PATH = "/?need=baa"
