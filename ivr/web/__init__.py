"""The web side: the admin web, Kannel's delivery reports and /healthz. One app factory."""

from ivr.web.app import make_app
from ivr.web.server import WebServer, start_web

__all__ = ["WebServer", "make_app", "start_web"]
