"""One catalogue size benchmarked end to end: its database, its servers, every measurement."""

import concurrent.futures
import json
import os
import sys

from bench.browser import browser_first_load
from bench.measure import MemorySampler, median_round, slow_client_figures, static_weights, wrk
from bench.servers import Server, django_side, fetch, manage
from bench.targets import CLIENT_HEADERS, SLOW_CLIENTS, SLOW_SECONDS, URLS


def log(message):
    print(message, file=sys.stderr, flush=True)


def bench_size(size, args, env, workdir, proxy_headers, extras, extras_info):
    db_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-{size}.sqlite3"
    env = {**env, "DATABASE_URL": db_url}
    log(f"== {size} platforms: migrate, seed, synthetic data")
    manage(env, "migrate", "--no-input", "-v0")
    if os.environ.get("BENCH_DATABASE_URL"):
        manage(env, "flush", "--no-input", "-v0")
    manage(env, "seed", "-v0")
    populated = django_side(env, "populate", str(size))
    log(f"   {populated['platforms']} platforms, {populated['facts']} facts")

    specs = [[key, path, headers] for key, _, path, headers in URLS]
    inprocess = django_side(env, "measure", json.dumps(specs))

    results = {"size": size, "populated": populated, "urls": {}}
    results["bare"] = bare_figures(args, env, workdir)
    server = Server(env, workdir)

    def measure(path, headers, seconds, connections=args.connections, mode=None):
        headers = {**CLIENT_HEADERS, **proxy_headers, **headers}
        return wrk(server.base, path, headers, connections, seconds, args.timeout, mode=mode)

    try:
        server.wait_ready(proxy_headers)
        if "load" in extras:  # first, so the workers' memory is the list page's alone
            fetch(server.base + "/", proxy_headers)
            log(f"   load: {args.load_connections} connections, {args.load_seconds} s on /")
            sampler = MemorySampler(server)
            sampler.start()
            figures = measure("/", {}, args.load_seconds, args.load_connections)
            sampler.stop()
            results["load"] = {
                **figures,
                "workers": len(sampler.peaks),
                "worker_peak_mib": [round(kib / 1024, 1) for kib in sampler.peaks.values()],
                "workers_peak_total_mib": round(sampler.peak_total / 1024, 1),
            }
        # A page that takes seconds to build (the whole dataset of a large catalogue) keeps
        # every worker busy long after wrk stops: it is warmed up once and measured once,
        # after the others, so that it cannot hold them up.
        slow = {key for key, *_ in URLS if inprocess[key]["miss_ms"] > 1000}
        # Warm up templates, connections and each worker's page cache: requests in parallel,
        # as many as there are workers, so that each (sync) worker takes one.
        workers = len(server.worker_pids())
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            for _key, _label, path, headers in URLS:
                url, sent = server.base + path, {**CLIENT_HEADERS, **proxy_headers, **headers}
                count = 3 * workers
                list(pool.map(fetch, [url] * count, [sent] * count))
        # Rounds through all URLs rather than one long run each, so that a burst of other
        # work on the machine hits every URL alike; each URL reports its median round.
        seconds = max(1, round(args.seconds / args.rounds))
        rounds = {key: [] for key, *_ in URLS}
        for number in range(1, args.rounds + 1):
            log(
                f"   round {number}/{args.rounds}: "
                f"wrk, {args.connections} connections, {seconds} s per URL"
            )
            for key, _, path, headers in URLS:
                if key not in slow:
                    rounds[key].append(measure(path, headers, seconds))
        for key, _, path, headers in URLS:
            if key in slow:
                log(f"   after the rounds: {path}, {args.seconds} s")
                rounds[key].append(measure(path, headers, args.seconds))
            results["urls"][key] = {**median_round(rounds[key]), **inprocess[key]}
        # A parameter the page does not read, new on every request: served from the cache.
        log(f"   cache bypass: /platforms.json?r=<random>, {args.connections} connections")
        results["bypass"] = measure("/", {}, args.seconds, mode="bypass")
        if size == args.storm_size:
            log(f"   miss storm: distinct valid filters, {args.load_connections} connections")
            results["storm"] = measure("/", {}, args.seconds, args.load_connections, mode="storm")
        if "slow" in extras:
            log(
                f"   slow clients: {SLOW_CLIENTS} slow-header connections, normal requests "
                f"for {SLOW_SECONDS} s, gunicorn alone and through nginx"
            )
            results["slow"] = slow_client_figures(
                server, proxy_headers, extras_info["static_root"], workdir
            )
        if "static" in extras:
            results["static"] = static_weights(server.base, proxy_headers)
        if "browser" in extras:
            results["first_load"] = browser_first_load(server.base, proxy_headers)
    finally:
        server.stop()
    return results


def bare_figures(args, env, workdir):
    """The bare 30-card Django app (bench/bare) under the same gunicorn: requests/s at the
    run's connections, and one request's time at 1 connection (its render, no queue)."""
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.bare.app"}
    server = Server(bare_env, workdir, app="bench.bare.app:application", ready_path="/")
    try:
        server.wait_ready({})
        for _ in range(20):
            fetch(server.base + "/", {})
        loaded = wrk(
            server.base, "/", CLIENT_HEADERS, args.connections, args.seconds, args.timeout
        )
        single = wrk(server.base, "/", CLIENT_HEADERS, 1, max(1, args.seconds // 3), args.timeout)
    finally:
        server.stop()
    return {"rps": loaded["rps"], "p50_ms": single["p50_ms"]}
