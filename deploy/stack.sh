#!/usr/bin/env bash
# `make stack`: the production stack on this machine. nginx (deploy/nginx-site.conf) on
# 127.0.0.1:$STACK_PORT (8000) in front of two gunicorn app servers with the production
# settings, on PostgreSQL and Redis, all in a fresh directory ($STACK_DIR, else a temp dir)
# that is removed on exit. Runs until Ctrl-C or SIGTERM.
#
# nginx, redis-server and PostgreSQL are Debian packages: installed when missing if this is
# root on Debian, else the command to run is printed. When everything answers, the
# directory gets a file `ready` with the addresses and process ids (the stack test reads it).
# STACK_ADMIN_PASSWORD=... also creates a superuser "admin" with that password.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/.venv/bin}
PORT=${STACK_PORT:-8000}
WORKERS=${STACK_WORKERS:-2}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }
nginx_bin() { command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true; }
need=()
[ -n "$(nginx_bin)" ] || need+=(nginx)
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || need+=(redis-server)
{ [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ]; } || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "make stack needs: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
PG_BIN=$(pg_bin)
NGINX=$(nginx_bin)
REDIS=$(command -v redis-server || echo /usr/bin/redis-server)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
DIR=${STACK_DIR:-$(mktemp -d /tmp/stack.XXXXXX)}
mkdir -p "$DIR"
chmod 755 "$DIR"
pids=()
PG_USER=$(id -un)
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }
cleanup() {
  trap - EXIT INT TERM
  [ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -d "$DIR/pg/data" ] && run_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast stop >/dev/null 2>&1 || true
  [ -z "${STACK_KEEP:-}" ] && rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "== PostgreSQL"
PG_PORT=$(free_port)
PG_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
mkdir -p "$DIR/pg"
if [ "$(id -u)" = 0 ]; then
  PG_USER=postgres
  id "$PG_USER" >/dev/null 2>&1 || useradd --system --home-dir "$DIR/pg" "$PG_USER"
  chown "$PG_USER" "$DIR/pg"
fi
printf '%s\n' "$PG_PASSWORD" > "$DIR/pg/pw"
chown "$PG_USER" "$DIR/pg/pw" 2>/dev/null || true
run_pg "$PG_BIN/initdb" -D "$DIR/pg/data" -U stack --pwfile="$DIR/pg/pw" --auth=scram-sha-256 -E UTF8 >/dev/null
rm -f "$DIR/pg/pw"
PG_OPTS="-c listen_addresses=127.0.0.1 -c port=$PG_PORT -k $DIR/pg -c fsync=off -c synchronous_commit=off -c max_connections=60"
run_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/log" -w -o "$PG_OPTS" start >/dev/null

echo "== Redis"
REDIS_PORT=$(free_port)
setsid "$REDIS" --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
  --maxmemory 256mb --maxmemory-policy allkeys-lru --dir "$DIR" >"$DIR/redis.log" 2>&1 &
pids+=($!)

export DJANGO_SETTINGS_MODULE=config.settings.prod
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost DJANGO_INSECURE_HTTP=1
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
export DATABASE_URL="postgres://stack:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export STATIC_ROOT="$DIR/static"
export WEB_CONCURRENCY=$WORKERS LOG_LEVEL=${LOG_LEVEL:-WARNING}
echo "== migrate, seed, collectstatic"
"$BIN/python" manage.py migrate --no-input -v0
"$BIN/python" manage.py seed -v0
"$BIN/python" manage.py collectstatic --no-input -v0
if [ -n "${STACK_ADMIN_PASSWORD:-}" ]; then
  DJANGO_SUPERUSER_PASSWORD=$STACK_ADMIN_PASSWORD "$BIN/python" manage.py createsuperuser \
    --no-input --username admin --email admin@example.org >/dev/null
fi

echo "== two gunicorn app servers"
APP1=127.0.0.1:$(free_port)
APP2=127.0.0.1:$(free_port)
for n in 1 2; do
  var=APP$n
  BIND=${!var} setsid "$BIN/gunicorn" -c gunicorn.conf.py --pid "$DIR/app$n.pid" \
    >"$DIR/app$n.log" 2>&1 &
  pids+=($!)
done

echo "== nginx on 127.0.0.1:$PORT"
sed -e "s|@LISTEN@|127.0.0.1:$PORT|" -e "s|@SERVER_NAME@|127.0.0.1 localhost|" \
  -e "s|@APP1@|$APP1|" -e "s|@APP2@|$APP2|" -e "s|@STATIC_ROOT@|$STATIC_ROOT|" \
  deploy/nginx-site.conf >"$DIR/site.conf"
mkdir -p "$DIR/nginx-tmp"
cat >"$DIR/nginx.conf" <<CONF
worker_processes 2;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
daemon on;
$([ "$(id -u)" = 0 ] && echo "user root;")
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $DIR/nginx-access.log;
    client_body_temp_path $DIR/nginx-tmp/body;
    proxy_temp_path $DIR/nginx-tmp/proxy;
    fastcgi_temp_path $DIR/nginx-tmp/fastcgi;
    uwsgi_temp_path $DIR/nginx-tmp/uwsgi;
    scgi_temp_path $DIR/nginx-tmp/scgi;
    include $DIR/site.conf;
}
CONF

"$NGINX" -c "$DIR/nginx.conf" -p "$DIR"

for url in "http://$APP1/healthz" "http://$APP2/healthz" "http://127.0.0.1:$PORT/healthz?db=1"; do
  ok=
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then ok=1; break; fi
    sleep 0.2
  done
  [ -n "$ok" ] || { echo "no answer from $url; logs in $DIR" >&2; STACK_KEEP=1; exit 1; }
done
cat >"$DIR/ready.tmp" <<READY
URL=http://127.0.0.1:$PORT
APP1=$APP1
APP2=$APP2
APP1_PID=$(cat "$DIR/app1.pid")
APP2_PID=$(cat "$DIR/app2.pid")
WORKERS=$WORKERS
PG_BIN=$PG_BIN
PG_DATA=$DIR/pg/data
PG_USER=$PG_USER
READY
mv "$DIR/ready.tmp" "$DIR/ready"
echo "== ready: http://127.0.0.1:$PORT (nginx) -> $APP1, $APP2 (gunicorn x $WORKERS workers),"
echo "   PostgreSQL 127.0.0.1:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT; logs in $DIR. Ctrl-C stops."
while true; do sleep 1; done
