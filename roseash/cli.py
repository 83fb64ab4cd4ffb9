"""The `roseash` command: serve, migrate, worker, seed, blog import-ghost, keys rotate, activitypub deliveries.

Mistakes the user can fix (an unknown service, a malformed setting, an
unreachable database, a busy port) end in one line on stderr and a non-zero
exit; only bugs show a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import OperationalError, ProgrammingError

from migrations.runner import downgrade_async, upgrade_async
from roseash.embedded import create_platform_app
from roseash.platform_schema import DEFAULT_URL, SCHEMA_DIR, api_sdl, compose_platform, write_schema
from roseash.server import UserError, bind, prepare_embedded, require_database, serve
from roseash.services import EMBEDDED_PORT, PROCESSORS, SEEDS, SERVICES, load, register_contracts
from router.composer import compose
from router.gateway import Gateway, RequestError
from router.plan import render
from router.schema_check import BREAKING, DANGEROUS, SAFE, compare
from router.subgraph_sources import SourceError, fetch_sources, file_sources, parse_pairs
from router.supergraph import SupergraphError
from shared.config import ConfigError, Settings, load_settings
from shared.errors import AppError
from shared.logs import configure_logging
from shared.outbound import Outbound
from shared.resources import Resources
from shared.seeds import run_seeds
from shared.worker import run_worker

try:
    import uvloop
except ImportError:  # uvloop does not build everywhere; asyncio's loop works, only slower
    uvloop = None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roseash", description="Rose Ash platform")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_cmd = commands.add_parser("serve", help="serve the whole platform, or one service")
    serve_cmd.add_argument(
        "service", nargs="?", help=f"one of: {', '.join(SERVICES)}; omit for everything in one process"
    )
    serve_cmd.add_argument("--host", help="interface to listen on (default HOST or 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, help="port (default PORT, else the service's own)")

    migrate_cmd = commands.add_parser("migrate", help="upgrade the database schema")
    migrate_cmd.add_argument("revision", nargs="?", default="head", help="target revision (default head)")
    migrate_cmd.add_argument("--downgrade", action="store_true", help="go down to REVISION instead (e.g. base)")

    plan_cmd = commands.add_parser("plan", help="print the query plan the router makes for an operation")
    plan_cmd.add_argument("operation", help="a file holding the operation, or - for standard input")
    plan_cmd.add_argument("--supergraph", help="supergraph SDL file (default SUPERGRAPH_PATH)")
    plan_cmd.add_argument("--name", help="the operation to plan, when the document holds several")

    compose_cmd = commands.add_parser(
        "compose", help="compose subgraphs into schema/supergraph.graphql and api.graphql"
    )
    compose_cmd.add_argument(
        "--subgraph", action="append", default=[], metavar="NAME=URL", help="a running subgraph to ask for its SDL"
    )
    compose_cmd.add_argument(
        "--file", action="append", default=[], metavar="NAME=PATH@URL", help="a subgraph SDL file and its URL"
    )
    compose_cmd.add_argument("--out", default=str(SCHEMA_DIR), help="where to write the two files (default schema)")
    compose_cmd.add_argument(
        "--url-template", default=DEFAULT_URL, help="URL of each platform subgraph (default %(default)s)"
    )

    check_cmd = commands.add_parser("check", help="list breaking, dangerous and safe changes to the API schema")
    check_cmd.add_argument("--against", default=str(SCHEMA_DIR / "api.graphql"), help="the committed API schema")
    check_cmd.add_argument("--api", help="the new API schema file (default: compose the platform's subgraphs)")

    commands.add_parser("worker", help="run the event processor until stopped")
    commands.add_parser("seed", help="load demo data that has not been loaded yet")

    blog_cmd = commands.add_parser("blog", help="the blog's own tasks")
    blog_commands = blog_cmd.add_subparsers(dest="blog_command", required=True, metavar="COMMAND")
    ghost_cmd = blog_commands.add_parser(
        "import-ghost", help="import every published post and page, tag and author of a Ghost site"
    )
    ghost_cmd.add_argument("url", help="the Ghost site's address, e.g. https://blog.example.org")
    ghost_cmd.add_argument("key", help="a Content API key (Ghost Admin: Settings, Integrations, custom integration)")

    keys_cmd = commands.add_parser("keys", help="the keys that sign access and ID tokens")
    keys_commands = keys_cmd.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    keys_commands.add_parser(
        "rotate", help="sign with a new key from now on; the old ones stay published until their tokens expire"
    )

    activitypub_cmd = commands.add_parser("activitypub", help="the Fediverse side: deliveries to remote inboxes")
    activitypub_commands = activitypub_cmd.add_subparsers(dest="activitypub_command", required=True, metavar="COMMAND")
    deliveries_cmd = activitypub_commands.add_parser(
        "deliveries", help="list deliveries to remote inboxes, newest first"
    )
    deliveries_cmd.add_argument("--dead", action="store_true", help="only the dead letters: those given up on")
    deliveries_cmd.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        register_contracts()
        command: Callable[[argparse.Namespace, Settings], Awaitable[None]] = COMMANDS[args.command]
        _run(command(args, settings))
    except (ConfigError, UserError) as exc:
        print(f"roseash: {exc}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, UserError) else 2
    except KeyboardInterrupt:
        return 130
    return 0


def _run(coroutine: Awaitable[None]) -> None:
    factory = uvloop.new_event_loop if uvloop is not None else None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(coroutine)  # type: ignore[arg-type]


async def _serve(args: argparse.Namespace, settings: Settings) -> None:
    if args.service is not None and args.service not in SERVICES:
        raise UserError(f"unknown service {args.service!r}; choose one of: {', '.join(SERVICES)}", 2)
    default_port = EMBEDDED_PORT if args.service is None else SERVICES[args.service].port
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port or default_port
    sock = bind(host, port)  # first, so a busy port fails before anything else happens
    resources = Resources.open(settings)
    try:
        await require_database(resources)
        try:
            if args.service is None:
                await prepare_embedded(resources)
                app = create_platform_app(resources)
            else:
                app = SERVICES[args.service].create_app(resources)
        except SupergraphError as exc:
            raise UserError(f"SUPERGRAPH_PATH ({settings.supergraph_path}): {exc}") from None
        await serve(app, sock, resources, with_worker=args.service is None)
    finally:
        sock.close()
        await resources.close()


async def _migrate(args: argparse.Namespace, settings: Settings) -> None:
    resources = Resources.open(settings)
    try:
        await require_database(resources)
    finally:
        await resources.close()
    if args.downgrade:
        await downgrade_async(settings.database_url, args.revision)
    else:
        await upgrade_async(settings.database_url, args.revision)


def _read_plan_inputs(args: argparse.Namespace, supergraph_path: Path) -> tuple[str, str]:
    try:
        sdl = supergraph_path.read_text()
        operation = sys.stdin.read() if args.operation == "-" else Path(args.operation).read_text()
    except OSError as exc:
        raise UserError(f"cannot read {exc.filename}: {exc.strerror}") from None
    return sdl, operation


async def _plan(args: argparse.Namespace, settings: Settings) -> None:
    supergraph_path = Path(args.supergraph) if args.supergraph else settings.supergraph_path
    sdl, operation = await asyncio.to_thread(_read_plan_inputs, args, supergraph_path)
    try:
        gateway = Gateway.from_sdl(sdl)
    except SupergraphError as exc:
        raise UserError(f"{supergraph_path}: {exc}") from None
    try:
        print(render(gateway.prepare(operation, args.name).plan))
    except RequestError as exc:
        raise UserError("; ".join(error["message"] for error in exc.errors)) from None
    finally:
        await gateway.close()


async def _compose(args: argparse.Namespace, settings: Settings) -> None:
    try:
        if args.subgraph or args.file:
            sources = await fetch_sources(parse_pairs(args.subgraph, "--subgraph")) if args.subgraph else []
            files: dict[str, tuple[Path, str]] = {}
            for name, spec in parse_pairs(args.file, "--file").items():
                path, _, url = spec.partition("@")
                files[name] = (Path(path), url or f"http://{name}.invalid/graphql")
            sources += await asyncio.to_thread(file_sources, files)
            result = compose(sources)
        else:
            result = compose_platform(args.url_template)
    except SourceError as exc:
        raise UserError(str(exc)) from None
    if result.supergraph is None:
        for error in result.errors:
            print(f"{error.code}: {error.message}", file=sys.stderr)
        raise UserError(f"composition failed with {len(result.errors)} error(s)")
    supergraph, api = await asyncio.to_thread(write_schema, Path(args.out), result.supergraph)
    print(f"wrote {supergraph} and {api}")


async def _check(args: argparse.Namespace, settings: Settings) -> None:
    against = Path(args.against)
    if not await asyncio.to_thread(against.exists):
        raise UserError(f"no committed API schema at {against}; run `roseash compose` first", 2)
    if args.api:
        new_api = await asyncio.to_thread(Path(args.api).read_text)
    else:
        result = compose_platform()
        if result.supergraph is None:
            raise UserError("; ".join(f"{e.code}: {e.message}" for e in result.errors))
        new_api = api_sdl(result.supergraph)
    changes = compare(await asyncio.to_thread(against.read_text), new_api)
    for level in (BREAKING, DANGEROUS, SAFE):
        for change in (c for c in changes if c.level == level):
            print(f"{level}: {change.message}")
    breaking = sum(c.level == BREAKING for c in changes)
    print(
        f"{breaking} breaking, {sum(c.level == DANGEROUS for c in changes)} dangerous, "
        f"{sum(c.level == SAFE for c in changes)} safe change(s)"
    )
    if breaking:
        raise UserError(f"{breaking} breaking change(s) against {against}", 1)


async def _worker(args: argparse.Namespace, settings: Settings) -> None:
    resources = Resources.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await require_database(resources)
        await run_worker(resources, [load(path) for path in PROCESSORS], stop)
    finally:
        await resources.close()


async def _seed(args: argparse.Namespace, settings: Settings) -> None:
    resources = Resources.open(settings)
    try:
        await require_database(resources)
        ran = await run_seeds(resources.sessions, [load(path) for path in SEEDS])
        print(f"loaded: {', '.join(ran)}" if ran else "demo data already loaded; nothing to do")
    finally:
        await resources.close()


class ImportProgress:
    """A bar per resource on a terminal (`posts    [######------] 30/57`), a plain line per page otherwise."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar = stream.isatty()
        self._open: str | None = None  # the resource whose bar is on the current line

    def __call__(self, resource: str, done: int, total: int) -> None:
        if not self._bar:
            print(f"{resource}: {done}/{total}", file=self._stream, flush=True)
            return
        if self._open not in (None, resource):
            self._stream.write("\n")
        self._open = resource
        filled = min(self.WIDTH, self.WIDTH * done // total) if total else self.WIDTH
        self._stream.write(f"\r{resource:<8} [{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total}")
        self._stream.flush()

    def close(self) -> None:
        """End the bar's line, so what is printed next starts on its own."""
        if self._open is not None:
            self._stream.write("\n")
            self._stream.flush()
            self._open = None


async def _import_ghost(args: argparse.Namespace, settings: Settings) -> None:
    # Imported here: the blog's code loads only when one of its commands runs.
    from subgraphs.blog.ghost_client import ContentAPI, GhostError
    from subgraphs.blog.ghost_sync import Outcome, import_site

    resources = Resources.open(settings)
    progress = ImportProgress(sys.stderr)
    try:
        await require_database(resources)
        async with Outbound(settings) as http:
            try:
                api = ContentAPI(http, args.url, args.key)
            except GhostError as exc:
                raise UserError(str(exc), 2) from None
            try:
                tally = await import_site(resources.sessions, api, progress)
            except GhostError as exc:
                raise UserError(str(exc)) from None
            except AppError as exc:  # a Ghost resource we cannot take, or a write that raced another
                raise UserError(exc.message) from None
            finally:
                progress.close()
    finally:
        await resources.close()
    print(f"imported {api.site}")
    for resource, counts in tally.items():
        line = ", ".join(f"{counts[o]} {o}" for o in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED))
        if counts[Outcome.SKIPPED]:
            line += f", {counts[Outcome.SKIPPED]} skipped (not public)"
        print(f"  {resource:<8} {line}")


BLOG_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[None]]] = {
    "import-ghost": _import_ghost,
}


async def _blog(args: argparse.Namespace, settings: Settings) -> None:
    await BLOG_COMMANDS[args.blog_command](args, settings)


async def _rotate_keys(args: argparse.Namespace, settings: Settings) -> None:
    # Imported here: the federation's code loads only when one of its commands runs.
    from subgraphs.federation.signing_keys import rotate

    resources = Resources.open(settings)
    try:
        await require_database(resources)
        try:
            async with resources.sessions() as session, session.begin():
                rotation = await session.run_sync(rotate)
        except (OperationalError, ProgrammingError) as exc:  # most likely no signing_keys table yet
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise UserError(f"cannot rotate the signing keys ({reason}); has `roseash migrate` run?") from None
    finally:
        await resources.close()
    print(f"signing with key {rotation.kid}")
    if rotation.retired:
        until = rotation.published_until.strftime("%Y-%m-%d %H:%M:%S UTC")
        print(f"retired {', '.join(rotation.retired)}; published until {until}, when their tokens have expired")


KEYS_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[None]]] = {
    "rotate": _rotate_keys,
}


async def _keys(args: argparse.Namespace, settings: Settings) -> None:
    await KEYS_COMMANDS[args.keys_command](args, settings)


async def _list_deliveries(args: argparse.Namespace, settings: Settings) -> None:
    # Imported here: the sidecar's code loads only when one of its commands runs.
    from activitypub.delivery_listing import list_deliveries

    if args.limit < 1:
        raise UserError("--limit must be at least 1", 2)
    resources = Resources.open(settings)
    try:
        await require_database(resources)
        try:
            async with resources.sessions() as session:
                rows = await list_deliveries(session, dead_only=args.dead, limit=args.limit)
        except (OperationalError, ProgrammingError) as exc:  # most likely no ap_deliveries table yet
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise UserError(f"cannot list deliveries ({reason}); has `roseash migrate` run?") from None
    finally:
        await resources.close()
    if not rows:
        print("no dead deliveries" if args.dead else "no deliveries")
    when = {"pending": "next try", "claimed": "being sent, due since", "done": "delivered", "dead": "given up"}
    for row in rows:
        moment = row.finished_at or row.available_at
        tries = f"{row.attempts} {'try' if row.attempts == 1 else 'tries'}"
        print(f"#{row.id} {row.status}, {tries}: {row.activity_type} {row.activity_uri}")
        print(f"    to {row.inbox}; {when[row.status]} {moment:%Y-%m-%d %H:%M:%S} UTC")
        if row.last_error:
            print(f"    last error: {row.last_error}")


ACTIVITYPUB_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[None]]] = {
    "deliveries": _list_deliveries,
}


async def _activitypub(args: argparse.Namespace, settings: Settings) -> None:
    await ACTIVITYPUB_COMMANDS[args.activitypub_command](args, settings)


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[None]]] = {
    "serve": _serve,
    "migrate": _migrate,
    "compose": _compose,
    "check": _check,
    "plan": _plan,
    "worker": _worker,
    "seed": _seed,
    "blog": _blog,
    "keys": _keys,
    "activitypub": _activitypub,
}

if __name__ == "__main__":
    sys.exit(main())
