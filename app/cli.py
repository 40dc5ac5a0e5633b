"""The ``vanta`` command: serve, migrate, seed, token, reconcile, metadata copy."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.config import ConfigError, Settings

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
    from app.seed import seed_demo_if_empty
    from app.server import create_app, freeze_startup_heap

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with database(settings) as (dsn, embedded):
        _migrate(dsn, settings)
        if settings.seed_demo or (settings.seed_demo is None and embedded):
            counts = asyncio.run(seed_demo_if_empty(dsn))
            if counts is not None:
                print(
                    f"seeded demo data: {counts.companies} companies, {counts.documents} documents"
                )
                _copy_to_mongo_backend(dsn, settings)
        app = create_app(dataclasses.replace(settings, database_url=dsn))
        app.on_startup.append(freeze_startup_heap)
        url = f"http://{settings.host}:{settings.port}/graphql"
        print(f"GraphiQL: {url}")
        if settings.jwt_secret is None:
            token = issue_token(
                jwt_secret_for(settings), subject="dev", role="admin", companies="*"
            )
            print(f"dev token (admin, all companies): {token}")
            print(
                f"try: curl -s {url} -H 'Authorization: Bearer <token>' "
                "-H 'Content-Type: application/json' -d '{\"query\":\"{ viewer { role } }\"}'"
            )
        sys.stdout.flush()
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            print=None,
            access_log=None,
            shutdown_timeout=settings.shutdown_seconds,  # open streams are closed by then
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vanta", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="migrate, seed a demo if empty, serve GraphQL")
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
    persisted = commands.add_parser("persisted", help="trusted documents (persisted queries)")
    persisted_commands = persisted.add_subparsers(dest="persisted_command", required=True)
    export = persisted_commands.add_parser(
        "export", help="write an Apollo persisted query manifest from .graphql files"
    )
    export.add_argument("folder", type=Path, help="folder searched for *.graphql files")
    export.add_argument("-o", "--output", type=Path, help="manifest file (default: stdout)")
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
    metadata = commands.add_parser("metadata", help="metadata store maintenance")
    metadata_commands = metadata.add_subparsers(dest="metadata_command", required=True)
    copy = metadata_commands.add_parser("copy", help="copy all metadata to one backend")
    copy.add_argument("--to", required=True, choices=("mongo", "postgres"))
    copy.add_argument("--batch-size", type=int, default=1000)
    return parser


COMMANDS = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "seed": cmd_seed,
    "token": cmd_token,
    "persisted": cmd_persisted,
    "reconcile": cmd_reconcile,
    "metadata": cmd_metadata,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"vanta: configuration error: {error}", file=sys.stderr)
        return 2
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
