"""gunicorn entry point: `gunicorn wsgi:app`."""

import gc

from registry import create_app

app = create_app()
# Everything loaded so far lives as long as the worker: keep the collector from rescanning it.
gc.freeze()
