"""gunicorn settings read by `make run`: a bare Server header, metrics summed over workers, and
request lines long enough for the longest query."""

import os

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "registry"  # no framework name or version in the Server header


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# A request line may carry the longest `q` a list takes (500 characters: 4.5 kB as encoded
# Chinese); gunicorn's default of 4 kB answered such a request with its own HTML 414.
limit_request_line = 8190  # gunicorn's maximum
