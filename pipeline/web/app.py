"""The ASGI app of `reportlens serve`: routes, templates, error pages, and the read-only library it serves.

Handlers are ``async`` and read the store directly on the event loop's thread, so the one SQLite
connection is used by one request at a time (a local app for one analyst; a page reads in milliseconds).
Every read goes through named ``Store`` methods or the library (``Searcher``, ``theme_listing``): no SQL
here. The store is opened read-only; a commit by a running `reportlens run` is seen by the next request
(``PRAGMA data_version``), which also drops the cached semantic index so new items become searchable.
"""
from __future__ import annotations

import logging
import socket
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..store import Store, StoreError
from .charts import format_number

if TYPE_CHECKING:  # pragma: no cover
    from ..embed import Embedder
    from ..search import Searcher

HERE = Path(__file__).resolve().parent
log = logging.getLogger("reportlens.web")


class Library:
    """What the pages read: the store opened read-only and a searcher, renewed when the store changes."""

    def __init__(self, db: Path, embedder: Optional["Embedder"] = None):
        self.db = Path(db)
        self._embedder = embedder
        self._store: Optional[Store] = None
        self._searcher: Optional["Searcher"] = None
        self._version: Optional[int] = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open_readonly(self.db)
        return self._store

    def fresh(self) -> None:
        """Drop what was computed from an older state of the store (called once per request)."""
        version = self.store.data_version()
        if self._version is not None and version != self._version and self._searcher is not None:
            self._searcher.close()  # its semantic index is out of date (the encoder in _embedder is kept)
            self._searcher = None
        self._version = version

    @property
    def searcher(self) -> "Searcher":
        if self._searcher is None:
            from ..search import Searcher

            self._searcher = Searcher(self.store, self._embedder, resident=True)
        return self._searcher

    def warm(self) -> None:
        """Load the query encoder, the semantic index and the word index now, so the first search is as fast as the rest.

        Also keeps BLAS to one thread in this process: a query is one short text, and two BLAS threads
        fighting for cores that a batch (or anything else) is using made encoding it 30 times slower
        (12 ms → 400 ms on two busy cores).
        """
        import numpy  # noqa: F401  (loads BLAS, so that the limit applies to it)

        _one_blas_thread()
        try:
            searcher = self.searcher
            self._embedder = searcher.embedder  # loaded once, kept when the searcher is renewed
            if searcher.reads("warm up"):
                self._embedder.embed(["warm up"])
            searcher.index  # noqa: B018 (loads the vectors)
            searcher.keyword_index()  # and the word index
        except Exception as exc:  # a store without vectors still serves every page; search says why
            log.warning("search warm-up failed: %s", exc)
        _one_blas_thread()  # and the libraries the encoder loaded

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        if self._store is not None:
            self._store.close()


def _one_blas_thread() -> None:
    try:
        from threadpoolctl import threadpool_limits  # comes with scikit-learn
    except ImportError:  # pragma: no cover
        return
    threadpool_limits(limits=1)


def template_environment() -> Environment:
    """Jinja2 templates of ``templates/``, every value autoescaped (report text is untrusted)."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = format_number
    return env


def render(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    """A page from its template; ``request`` gives the template the current path."""
    env: Environment = request.app.state.templates
    page = env.get_template(name).render(request=request, **context)
    return HTMLResponse(page, status_code=status_code)


async def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
    titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}
    return render(request, "error.html", {"title": titles.get(exc.status_code, "Error"),
                                          "message": exc.detail if exc.detail else "", "status": exc.status_code},
                  exc.status_code)


async def server_error(request: Request, exc: Exception) -> HTMLResponse:
    # A safety net: say what failed without a traceback (nor report text) in the page or the log.
    log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
    status = 503 if isinstance(exc, StoreError) else 500
    message = str(exc) if isinstance(exc, StoreError) else "Something went wrong reading the store."
    return render(request, "error.html", {"title": "Error", "message": message, "status": status}, status)


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# Defence in depth behind the escaping: no script but our own file runs, nothing is fetched from elsewhere.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                 b"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """ASGI middleware adding ``SECURITY_HEADERS`` to every HTTP response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(db: Path | str, embedder: Optional["Embedder"] = None, warm: bool = False,
               allowed_hosts: Optional[list[str]] = None, on_ready: Optional[Callable[[], None]] = None) -> Starlette:
    """The web app over the store at ``db`` (read-only). ``embedder`` replaces the query encoder (tests);
    ``warm`` loads the encoder and the search index at start-up, after which ``on_ready`` is called;
    ``allowed_hosts`` (Host header names) refuses requests for any other name, so a web page cannot
    reach a loopback server through a DNS name it controls (DNS rebinding)."""

    from . import browse, pages

    library = Library(Path(db), embedder)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if warm:
            await run_in_threadpool(library.warm)
        if on_ready is not None:
            on_ready()
        yield
        library.close()

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse("/reports", status_code=302)

    routes = [
        Route("/", home),
        Route("/reports", pages.reports),
        Route("/reports/{report_id}", pages.report),
        Route("/reports/{report_id}/items/{key}", pages.report),
        Route("/reports/{report_id}/spans/{span}", pages.report),
        Route("/reports/{report_id}/items/{key}/similar", browse.similar),
        Route("/search", browse.search),
        Route("/themes", browse.themes),
        Route("/figures", browse.figures),
        Route("/export", browse.export_page),
        Route("/export/reports/{report_id}.json", browse.export_report),
        Route("/export/reports.jsonl", browse.export_jsonl),
        Route("/export/reports.xlsx", browse.export_xlsx),
        Route("/export/{table}.csv", browse.export_csv),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware,
                    exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.library = library
    app.state.templates = template_environment()
    return app


class ServeError(Exception):
    """The server cannot start (the address is taken or not ours); the message says which and why."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, so that a taken port is an error before anything is printed."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    return sock


def serve(db: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the app with uvicorn until interrupted; its URL goes to stderr once it answers."""
    import uvicorn

    Store.open_readonly(db).close()  # fail now, with the store's own message, rather than on the first page
    sock = listening_socket(host, port)
    loopback = host in LOOPBACK_NAMES
    shown = f"[{host}]" if ":" in host else host

    def ready() -> None:
        print(f"reportlens: serving {db} at http://{shown}:{port}/ (read-only; Ctrl+C to stop)", file=sys.stderr)
        if not loopback:
            print(f"reportlens: {host} is not loopback: anyone who can reach this port can read the store",
                  file=sys.stderr)

    app = create_app(db, warm=True, allowed_hosts=list(LOOPBACK_NAMES) if loopback else None, on_ready=ready)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
