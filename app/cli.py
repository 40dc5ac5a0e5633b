"""The ``vanta`` command: serve, migrate, seed, token, cache, reconcile, metadata copy, worker,
jobs."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.config import ConfigError, Settings, unknown_variables

__all__ = ["main"]

log = logging.getLogger("vanta")


@contextmanager
def database(settings: Settings) -> Iterator[tuple[str, bool]]:
    """(DSN, embedded?): VANTA_DATABASE_URL, else the private server under VANTA_DATA_DIR."""
    if settings.database_url:
        yield settings.database_url, False
        return
    from app.embedded_pg import embedded_postgres

    with embedded_postgres(settings.data_dir) as dsn:
        yield dsn, True


def _migrate(dsn: str, settings: Settings | None = None) -> None:
    from app.migrate import apply_migrations

    applied = asyncio.run(apply_migrations(dsn))
    print(f"migrations applied: {', '.join(applied)}" if applied else "migrations: up to date")
    if settings is not None and settings.mongodb_url:
        from app.metadata.commands import run_mongo_indexes

        names = asyncio.run(run_mongo_indexes(settings))
        print(f"mongodb indexes: {', '.join(names)}")


def _copy_to_mongo_backend(dsn: str, settings: Settings) -> None:
    """The seeder writes PostgreSQL metadata; with the mongo backend copy it across."""
    if settings.metadata_backend != "mongo":
        return
    from app.metadata.commands import run_copy

    copied = asyncio.run(run_copy(dsn, settings, to="mongo"))
    print(f"copied metadata of {copied} documents to mongo")


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as (dsn, _):
        _migrate(dsn, settings)
    return 0


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from app.errors import ApiError
    from app.metadata.commands import run_reconcile

    with database(settings) as (dsn, _):
        try:
            report = asyncio.run(
                run_reconcile(
                    dsn,
                    settings,
                    repair=not args.dry_run,
                    grace=timedelta(seconds=args.grace_seconds),
                )
            )
        except ApiError as error:  # a store is unreachable
            print(f"vanta reconcile: {error.message}", file=sys.stderr)
            return 1
    print(f"reconcile ({settings.metadata_backend} metadata backend):")
    for line in report.lines():
        print(f"  {line}")
    return 0 if report.clean or report.repaired else 1


def cmd_metadata(settings: Settings, args: argparse.Namespace) -> int:
    from app.errors import ApiError
    from app.metadata.commands import MSG_NO_MONGODB_URL, run_copy

    if not settings.mongodb_url:
        print(f"vanta metadata copy: {MSG_NO_MONGODB_URL}", file=sys.stderr)
        return 2

    with database(settings) as (dsn, _):
        try:
            copied = asyncio.run(run_copy(dsn, settings, to=args.to, batch_size=args.batch_size))
        except ApiError as error:  # a store is unreachable
            print(f"vanta metadata copy: {error.message}", file=sys.stderr)
            return 1
    print(f"copied metadata of {copied} documents to {args.to}")
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from app.seed import seed

    with database(settings) as (dsn, _):
        _migrate(dsn)
        counts = asyncio.run(
            seed(
                dsn,
                companies=args.companies,
                documents=args.documents,
                ledger_entries=args.ledger_entries,
                random_seed=args.random_seed,
            )
        )
        _copy_to_mongo_backend(dsn, settings)
    print(
        f"seeded {counts.companies} companies, {counts.projects} projects, "
        f"{counts.documents} documents, {counts.ledger_entries} ledger entries"
    )
    return 0


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth import issue_token, jwt_secret_for

    try:
        token = issue_token(
            jwt_secret_for(settings),
            subject=args.subject,
            role=args.role,
            companies=args.companies,
            ttl_seconds=args.ttl,
        )
    except ValueError as error:
        print(f"vanta token: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_cache(settings: Settings, args: argparse.Namespace) -> int:
    """stats / clear / warm against a running server (the logic is app/cache_command.py)."""
    from app import cache_command
    from app.auth import issue_token, jwt_secret_for

    url = (args.url or cache_command.default_url(settings.host, settings.port)).rstrip("/")
    secret = jwt_secret_for(settings)
    try:
        if args.cache_command == "warm":
            operations = cache_command.load_operations(args.file, args.variables)
            try:
                token = issue_token(
                    secret,
                    subject=args.subject,
                    role=args.role,
                    companies=args.companies,
                    ttl_seconds=600,
                )
            except ValueError as error:
                raise cache_command.CacheCommandError(str(error), 2) from None
            lines, ok = asyncio.run(
                cache_command.warm_report(url, token, _admin_token(secret), operations)
            )
            print("\n".join(lines))
            return 0 if ok else 1
        admin = _admin_token(secret)
        command = cache_command.stats if args.cache_command == "stats" else cache_command.clear
        for line in asyncio.run(command(url, admin)):
            print(line)
    except cache_command.CacheCommandError as error:
        print(f"vanta cache {args.cache_command}: {error}", file=sys.stderr)
        return error.exit_code
    return 0


def _admin_token(secret: str) -> str:
    """What ``vanta cache`` shows the admin endpoints: short-lived, admin over every company."""
    from app.auth import issue_token

    return issue_token(secret, subject="vanta-cache", role="admin", companies="*", ttl_seconds=300)


def cmd_persisted(settings: Settings, args: argparse.Namespace) -> int:
    import orjson

    from app.persisted.export import build_manifest
    from app.persisted.trusted import ManifestError

    try:
        manifest = build_manifest(args.folder)
    except ManifestError as error:
        print(f"vanta persisted export: {error}", file=sys.stderr)
        return 2
    text = orjson.dumps(manifest, option=orjson.OPT_INDENT_2).decode() + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        print(f"wrote {len(manifest['operations'])} operations to {args.output}", file=sys.stderr)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from aiohttp import web

    from app.auth import issue_token, jwt_secret_for
    from app.process.gunicorn import serve_with_gunicorn
    from app.resources import GRAPHIQL_TOKEN
    from app.seed import seed_demo_if_empty
    from app.server import create_app, freeze_startup_heap

    settings = _with_serve_flags(settings, args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The master starts the embedded PostgreSQL, migrates and seeds once; workers only connect.
    with database(settings) as (dsn, embedded):
        _migrate(dsn, settings)
        if settings.seed_demo or (settings.seed_demo is None and embedded):
            counts = asyncio.run(seed_demo_if_empty(dsn))
            if counts is not None:
                print(
                    f"seeded demo data: {counts.companies} companies, {counts.documents} documents"
                )
                _copy_to_mongo_backend(dsn, settings)
        worker_settings = dataclasses.replace(settings, database_url=dsn)

        dev_token: str | None = None
        if settings.jwt_secret is None:
            dev_token = issue_token(
                jwt_secret_for(settings), subject="dev", role="admin", companies="*"
            )

        async def make_app() -> web.Application:
            # Each HTTP worker also works the processing queue (VANTA_JOB_WORKERS pool
            # processes; claims never overlap). VANTA_JOB_WORKERS=0 leaves it to `vanta worker`.
            app = create_app(worker_settings, run_workers=settings.job_workers > 0)
            if dev_token is not None and settings.environment != "production":
                app[GRAPHIQL_TOKEN] = dev_token  # pre-filled in GraphiQL's headers pane
            app.on_startup.append(freeze_startup_heap)
            return app

        url = f"http://{settings.host}:{settings.port}/graphql"
        print(f"GraphiQL: {url}" if settings.graphiql_enabled else f"GraphQL: {url}")
        if dev_token is not None:
            print(f"dev token (admin, all companies): {dev_token}")
            print(
                f"try: curl -s {url} -H 'Authorization: Bearer <token>' "
                "-H 'Content-Type: application/json' -d '{\"query\":\"{ viewer { role } }\"}'"
            )
        print(f"workers: {settings.workers}")
        sys.stdout.flush()
        serve_with_gunicorn(worker_settings, make_app)
    return 0


def _with_serve_flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """``--host/--port/--workers`` win over VANTA_HOST/PORT/WORKERS."""
    changes = {
        name: getattr(args, name)
        for name in ("host", "port", "workers")
        if getattr(args, name, None) is not None
    }
    return dataclasses.replace(settings, **changes)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {value}")
    return value


def cmd_schema(settings: Settings, args: argparse.Namespace) -> int:
    from app.sdl import schema_sdl
    from schema.build import build_schema

    text = schema_sdl(build_schema(settings))
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        print(f"wrote the schema to {args.output}", file=sys.stderr)
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from app.jobs.standalone import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    processes = args.processes or max(1, settings.job_workers)
    with database(settings) as (dsn, _):
        _migrate(dsn)
        asyncio.run(run_worker(settings, dsn, processes))
    return 0


def cmd_jobs(settings: Settings, args: argparse.Namespace) -> int:
    from app.jobs.report import print_jobs

    with database(settings) as (dsn, _):
        troubled = asyncio.run(print_jobs(dsn, stuck_after=args.stuck_after, limit=args.limit))
    return 1 if troubled else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vanta", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, seed a demo if empty, serve GraphQL")
    serve.add_argument("--host", help="address to listen on (default VANTA_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port (default VANTA_PORT, 8000)")
    serve.add_argument(
        "--workers", type=_positive, help="worker processes (default VANTA_WORKERS, 1)"
    )
    commands.add_parser("migrate", help="apply pending migrations")
    seed = commands.add_parser("seed", help="append deterministic synthetic data (COPY)")
    seed.add_argument("--companies", type=int, default=30)
    seed.add_argument("--documents", type=int, default=100_000)
    seed.add_argument("--ledger-entries", type=int, default=300_000)
    seed.add_argument("--random-seed", type=int, default=7)
    token = commands.add_parser("token", help="print a signed JWT")
    token.add_argument("--role", default="admin", choices=("admin", "accountant", "viewer"))
    token.add_argument("--companies", default="*", help="'*' or a list like 1,2")
    token.add_argument("--subject", default="dev")
    token.add_argument("--ttl", type=int, default=24 * 3600, help="lifetime in seconds")
    _add_cache_parser(commands)
    persisted = commands.add_parser("persisted", help="trusted documents (persisted queries)")
    persisted_commands = persisted.add_subparsers(dest="persisted_command", required=True)
    export = persisted_commands.add_parser(
        "export", help="write an Apollo persisted query manifest from .graphql files"
    )
    export.add_argument("folder", type=Path, help="folder searched for *.graphql files")
    export.add_argument("-o", "--output", type=Path, help="manifest file (default: stdout)")
    schema = commands.add_parser("schema", help="the GraphQL schema, for codegen")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True)
    schema_export = schema_commands.add_parser("export", help="print the schema as SDL")
    schema_export.add_argument("-o", "--output", type=Path, help="file (default: stdout)")
    reconcile = commands.add_parser(
        "reconcile", help="find and repair documents without metadata and metadata without rows"
    )
    reconcile.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    reconcile.add_argument(
        "--grace-seconds",
        type=int,
        default=300,
        help="pending uploads younger than this are in flight and left alone",
    )
    worker = commands.add_parser("worker", help="work the document processing queue (no HTTP)")
    worker.add_argument(
        "--processes",
        type=int,
        default=0,
        help="pool processes (default: VANTA_JOB_WORKERS, min 1)",
    )
    jobs = commands.add_parser("jobs", help="list failed and stuck processing jobs")
    jobs.add_argument(
        "--stuck-after",
        type=float,
        default=300.0,
        help="a queued job this many seconds past due counts as stuck",
    )
    jobs.add_argument("--limit", type=int, default=100)
    metadata = commands.add_parser("metadata", help="metadata store maintenance")
    metadata_commands = metadata.add_subparsers(dest="metadata_command", required=True)
    copy = metadata_commands.add_parser("copy", help="copy all metadata to one backend")
    copy.add_argument("--to", required=True, choices=("mongo", "postgres"))
    copy.add_argument("--batch-size", type=int, default=1000)
    return parser


def _add_cache_parser(commands: Any) -> None:
    cache = commands.add_parser("cache", help="the running server's response cache")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True)
    url_help = "the server (default http://VANTA_HOST:VANTA_PORT)"
    stats = cache_commands.add_parser("stats", help="entries, bytes, budget, hits, misses")
    stats.add_argument("--url", help=url_help)
    clear = cache_commands.add_parser("clear", help="drop every entry (every worker)")
    clear.add_argument("--url", help=url_help)
    warm = cache_commands.add_parser(
        "warm", help="run a file's queries through /graphql for one role and companies"
    )
    warm.add_argument("file", type=Path, help="a .graphql file of named queries")
    warm.add_argument("--role", required=True, choices=("admin", "accountant", "viewer"))
    warm.add_argument("--companies", required=True, help="'*' or a list like 1,2")
    warm.add_argument("--subject", default="cache-warm", help="the token's sub claim")
    warm.add_argument("--variables", help='JSON variables by operation name: {"Docs": {"c": "1"}}')
    warm.add_argument("--url", help=url_help)


COMMANDS = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "seed": cmd_seed,
    "token": cmd_token,
    "cache": cmd_cache,
    "persisted": cmd_persisted,
    "reconcile": cmd_reconcile,
    "schema": cmd_schema,
    "metadata": cmd_metadata,
    "worker": cmd_worker,
    "jobs": cmd_jobs,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"vanta: configuration error: {error}", file=sys.stderr)
        return 2
    for line in unknown_variables(os.environ):
        print(f"vanta: {line}", file=sys.stderr)
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
