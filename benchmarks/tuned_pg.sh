#!/usr/bin/env bash
# A private PostgreSQL for benchmarks, sized like a production server rather than a laptop:
# the shared server of a developer machine runs with the defaults (128 MB of shared buffers),
# under which a hub of millions of pointers reads nearly every index page of pointer_blocks
# from the OS cache. This one never touches that server: its own data directory and port.
#
#   benchmarks/tuned_pg.sh start            # port 5433, data in /var/tmp/lpx-pg-tuned
#   .venv/bin/python benchmarks/onboarding.py \
#       --database-url postgresql://postgres@127.0.0.1:5433/postgres
#   benchmarks/tuned_pg.sh stop
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DATA=${LPX_TUNED_PGDATA:-/var/tmp/lpx-pg-tuned}
PORT=${LPX_TUNED_PGPORT:-5433}
# A quarter of the memory for shared buffers (the usual advice), at most 8 GB, unless
# LPX_TUNED_BUFFERS_MB says otherwise (applied at every start, to a new or existing server).
MEM_MB=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
BUFFERS_MB=${LPX_TUNED_BUFFERS_MB:-$(( MEM_MB / 4 < 8192 ? MEM_MB / 4 : 8192 ))}
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Huge pages for the shared buffers (PostgreSQL docs, "Linux Huge Pages"): with 6 GB of
# buffers in 4 kB pages every index descent pays TLB misses. Measured on this 2-core machine
# (100k records onboarded into 5M, two runs each): the server's CPU fell from 78-80 s to
# 64-67 s and the onboarding went from 1,159-1,182 to 1,262-1,266 rows/s. The pages are
# reserved only when run as root (the kernel setting is machine-wide) and given back on stop;
# elsewhere ``huge_pages = try`` starts the server without them.
reserve_huge_pages() {
    [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/nr_hugepages ] || return 0
    local need have free
    need=$(as_postgres "$PGBIN/postgres" -D "$DATA" -C shared_memory_size_in_huge_pages \
           2>/dev/null) || return 0
    have=$(cat /proc/sys/vm/nr_hugepages)
    free=$(awk '/HugePages_(Free|Rsvd)/ {v[$1] = $2} END {print v["HugePages_Free:"] - \
                v["HugePages_Rsvd:"]}' /proc/meminfo)
    if [ "$need" -gt "$free" ]; then
        echo "$have" > "$DATA/.hugepages-before"
        echo $(( have + need - free )) > /proc/sys/vm/nr_hugepages
    fi
}

release_huge_pages() {
    if [ -f "$DATA/.hugepages-before" ]; then
        cat "$DATA/.hugepages-before" > /proc/sys/vm/nr_hugepages
        rm -f "$DATA/.hugepages-before"
    fi
}

case "${1:-}" in
start)
    if [ ! -d "$DATA" ]; then
        mkdir -p "$DATA" && chown postgres "$DATA" 2>/dev/null || true
        as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust >/dev/null
        cat >> "$DATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA'
shared_buffers = ${BUFFERS_MB}MB
effective_cache_size = $(( MEM_MB / 2 ))MB
max_wal_size = 8GB
checkpoint_timeout = 30min
wal_buffers = 64MB
maintenance_work_mem = 1GB
work_mem = 32MB
CONF
    fi
    grep -q '^huge_pages' "$DATA/postgresql.conf" || echo "huge_pages = try" >> "$DATA/postgresql.conf"
    sed -i "s/^shared_buffers = .*/shared_buffers = ${BUFFERS_MB}MB/" "$DATA/postgresql.conf"
    reserve_huge_pages
    as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w start >/dev/null
    echo "tuned PostgreSQL on 127.0.0.1:$PORT (shared_buffers ${BUFFERS_MB}MB, data $DATA;" \
         "huge pages reserved on this machine: $(cat /proc/sys/vm/nr_hugepages))"
    ;;
stop)
    as_postgres "$PGBIN/pg_ctl" -D "$DATA" -m fast stop
    release_huge_pages
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
