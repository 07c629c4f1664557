"""The results as Markdown: the run, one table per catalogue size, static files, load and
the budget's verdicts.
"""

from bench.budget import budget, budget_issue15
from bench.targets import CLIENT_HEADERS, SLOW_OK_SECONDS, SLOW_PATH, URLS
from bench.units import kb, ms


def size_table(result):
    urls = result["urls"]
    baseline = urls["healthz"]["rps"]
    lines = [
        "| URL | req/s | × baseline | p50 ms | p99 ms | non-2xx | socket errors "
        "| SQL queries | uncached ms | bytes | gzip | br | cached: req/s ÷ bare "
        "| uncached: ms ÷ bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    bare = result["bare"]
    for key, label, _, _ in URLS:
        row = urls[key]
        queries = str(row["queries_first"])
        if row["queries_repeat"] != row["queries_first"]:
            queries += f" (cached: {row['queries_repeat']})"
        if row["requests"]:
            speed = (
                f"{row['rps']:.0f} | {row['rps'] / baseline:.2f} | {ms(row['p50_ms'])} "
                f"| {ms(row['p99_ms'])}"
            )
        else:  # wrk saw no response finish within the run
            speed = f"none in {row['seconds']:.0f} s | 0 | — | —"
        lines.append(
            f"| {label} | {speed} | {row['non2xx']} | {row['socket_errors']} | {queries} "
            f"| {ms(row['miss_ms'])} | {kb(row['bytes'])} | {kb(row['gzip_bytes'])} "
            f"| {kb(row['br_bytes'])} | {row['rps'] / bare['rps']:.2f} "
            f"| {row['miss_ms'] / bare['p50_ms']:.1f} |"
        )
    lines += [
        "",
        f"Bare Django, 30 cards (bench/bare, same gunicorn.conf.py): {bare['rps']:.0f} req/s "
        f"at {result['urls']['list'].get('connections', 16)} connections; one request "
        f"{ms(bare['p50_ms'])} ms at 1 connection.",
    ]
    for key, text in (
        ("bypass", "Cache bypass, `/platforms.json?r=<random>`"),
        ("storm", "Miss storm, distinct valid list filters (`?q=<2 letters>&need=…&sort=…`)"),
    ):
        if key in result:
            run = result[key]
            lines.append(
                f"{text}: {run['rps']:.0f} req/s, p50 {ms(run['p50_ms'])} ms, p99 "
                f"{ms(run['p99_ms'])} ms, {run['non2xx']} non-2xx, {run['socket_errors']} "
                "socket errors."
            )
    slow = result.get("slow")
    if slow:
        for name, label in (
            ("gunicorn", "gunicorn alone"),
            ("nginx", "through nginx (deploy/nginx-site.conf)"),
        ):
            run = slow.get(name)
            if run is None:
                lines.append(f"Slow clients, {label}: not measured (nginx is not installed).")
                continue
            lines.append(
                f"With {run['slow_clients']} slow-header connections open "
                f"({run['still_open']} still open at the end), {label}: {run['ok']} of "
                f"{run['requests']} normal requests to `{SLOW_PATH}` answered 200 within "
                f"{SLOW_OK_SECONDS:.0f} s ({run['availability']:.1%}); p50 "
                f"{ms(run['p50_ms'])} ms, max {ms(run['max_ms'])} ms, {run['errors']} errors or "
                "timeouts (5 s)."
            )
    return "\n".join(lines)


def report(results, info, args):
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); figures from one run, not a test. Compare "
        "rows within a run: the baseline (`/healthz`) absorbs the machine's noise.",
        "",
        f"- Date: {info['date']}",
        f"- Machine: {info['machine']['nproc']} CPUs ({info['machine']['cpu']}), "
        f"{info['machine']['ram_gib']} GiB RAM, Linux {info['machine']['kernel']}, "
        f"Python {info['machine']['python']}",
        f"- Database: {info['database']}; server: {info['server']}",
        f"- Load generator: {info['wrk']}, {args.connections} connections, {args.seconds} s "
        "per URL, on the same machine as the server (they share the CPUs)",
        f"- 1-minute load average at the start and the end of the run: {info['load_start']} "
        f"and {info['load_end']} (anything above 0 at the start is other processes competing "
        f"for the {info['machine']['nproc']} CPUs before the benchmark adds its own)",
        "",
    ]
    for result in results:
        out += [
            f"## {result['size']:,} platforms",
            "",
            f"{result['populated']['facts']:,} facts; synthetic data added in "
            f"{result['populated']['seconds']} s.",
            "",
            size_table(result),
            "",
        ]
    out += [
        "req/s, p50 and p99 come from wrk against gunicorn, from the median of "
        f"{args.rounds} rounds through all URLs ({args.seconds} s per URL in all; non-2xx "
        'and socket errors are summed over the rounds); "× baseline" divides by '
        "`/healthz` in the same run. SQL queries and *uncached ms* come from Django's test "
        "client in one process on the same database: queries when the page cache misses "
        "(cleared first; the first request after an edit) and, in brackets, when it hits; "
        "*uncached ms* is the median of 5 such misses, after one request to the URL that "
        "compiled its templates (once per worker process). Bytes are the body as rendered, "
        "then gzip -6 and brotli -5 of it, what a compressing proxy would send; wrk sends "
        f"`Accept-Encoding: {CLIENT_HEADERS['Accept-Encoding']}` as browsers do, and the app "
        "itself compresses only bodies over 1 MB (`/platforms.json` from about 500 "
        "platforms), which it keeps and sends gzipped.",
        "",
    ]
    extras = {k: v for r in results for k, v in r.items() if k in ("static", "first_load", "load")}
    if "static" in extras:
        out += [
            "## Static files",
            "",
            "Served by whitenoise from `collectstatic` output (compressed manifest storage).",
            "",
            "| File | identity | gzip | br | Cache-Control |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for row in extras["static"]:
            out.append(
                f"| `{row['path']}` | {kb(row['identity'])} | {kb(row['gzip'])} "
                f"({row['gzip_served_as']}) | {kb(row['br'])} ({row['br_served_as']}) "
                f"| `{row['cache_control']}` |"
            )
        out.append("")
    if "load" in extras:
        load = extras["load"]
        out += [
            "## Load",
            "",
            f"{args.load_connections} connections for {args.load_seconds} s on the list page "
            f"at {args.load_size:,} platforms: {load['requests']:,} requests, "
            f"{load['rps']:.0f} req/s, p50 {ms(load['p50_ms'])} ms, p99 {ms(load['p99_ms'])} ms, "
            f"max {ms(load['max_ms'])} ms; **{load['non2xx']} non-2xx, "
            f"{load['socket_errors']} socket errors** (connect {load['connect']}, read "
            f"{load['read']}, write {load['write']}, timeout {load['timeout']}).",
            "",
            f"Peak resident memory of the {load['workers']} gunicorn worker processes (sampled "
            f"every 100 ms from /proc; gunicorn.conf.py replaces a worker after about "
            f"{info['max_requests']:,} requests, so there can be more processes than workers "
            f"at a time): "
            f"{', '.join(f'{m} MiB' for m in load['worker_peak_mib'])}; "
            f"all workers together at most {load['workers_peak_total_mib']} MiB.",
            "",
        ]
    out += [
        "## Budget",
        "",
        budget(results, extras),
        "",
        "Issue 15:",
        "",
        budget_issue15(results),
        "",
    ]
    if args.notes.exists():
        out += [args.notes.read_text().strip(), ""]
    return "\n".join(out)
