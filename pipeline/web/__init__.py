"""`reportlens serve`: a local, read-only web app to browse, verify and search a store.

``app`` holds the ASGI app and its read-only library, ``pages`` the reports and report pages, ``browse``
search, themes, figures and export, ``marks`` the marked-up report text and snippets, ``charts`` the
inline SVG. Starlette, Jinja2 and uvicorn are imported only here, never by the CLI's module.
"""
from .app import ServeError, create_app, serve

__all__ = ["ServeError", "create_app", "serve"]
