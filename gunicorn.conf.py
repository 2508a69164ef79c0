"""gunicorn settings read by `make run`: the Server header names no framework or version."""

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "registry"
