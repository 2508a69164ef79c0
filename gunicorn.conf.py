"""gunicorn settings read by `make run`: a bare Server header, and metrics summed over workers."""

import os

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "registry"  # no framework name or version in the Server header


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
