"""The `acs-emulator` command: serve, env, stop, info, reset, teams-token."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .entra import add_teams_token_command, teams_token_command
from .limits import ENV_VAR, SWITCH_VALUES, ThrottlingSettingError, throttling_enabled
from .server import (
    STATE_ERRORS,
    cli_error,
    print_env,
    serve_background,
    serve_forever,
    state_dir_error,
    stop_service,
)
from .state import (
    DamagedDatabase,
    default_state_dir,
    ensure_state,
    set_database_aside,
    state_root,
)
from .store import Store


def _info(state_dir) -> int:
    st = ensure_state(state_dir)
    rows = Store(st.db_path, st.resource_id).list()
    deleted = sum(1 for r in rows if r.deleted_ns is not None)
    last = st.read_last_serve() or {}
    print(f"state dir:    {st.root}")
    print(f"resource id:  {st.resource_id}")
    print(f"last endpoint: {last.get('endpoint', 'unknown')}")
    print(f"identities:   {len(rows) - deleted} active, {deleted} deleted")
    print(f"CA bundle:    {st.ca_bundle}")
    return 0


def _reset(state_dir) -> int:
    try:
        st = ensure_state(state_dir)
    except DamagedDatabase:
        # The one repair `reset` does: keep the damaged file for inspection, start empty.
        moved = set_database_aside(state_root(state_dir))
        st = ensure_state(state_dir)
        where = f"moved to {moved}" if moved else "was missing"
        print(f"reset: the damaged identity database {where}; {st.root} now has no identities")
        return 0
    Store(st.db_path, st.resource_id).reset()
    print(f"reset: all identities in {st.root} forgotten (ids are never reused)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="acs-emulator", description="Local Azure Communication Services Identity service."
    )
    parser.add_argument(
        "--state-dir", default=None, help=f"state directory (default: {default_state_dir()})"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve HTTPS until interrupted (or in the background)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument(
        "--background",
        action="store_true",
        help="start detached, print the export lines once it serves, and return",
    )
    serve.add_argument(
        "--throttling",
        choices=SWITCH_VALUES,
        default=None,
        help=f"Azure's documented request limits (429 beyond them); default on, or {ENV_VAR}",
    )
    serve.add_argument("--detached", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--state-dir", dest="sub_state_dir", default=None)
    for name, text in (
        ("env", "print the export lines of the service running for the state dir"),
        ("stop", "stop the service `serve` started for the state dir"),
        ("info", "show the state (never the key)"),
        ("reset", "forget identities (or set a damaged database aside)"),
    ):
        sub.add_parser(name, help=text).add_argument(
            "--state-dir", dest="sub_state_dir", default=None
        )
    add_teams_token_command(sub)
    args = parser.parse_args(argv)
    state_dir = args.sub_state_dir or args.state_dir
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # tornado's access log would print every request line; not needed on a console.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    if args.command == "serve":
        if args.throttling:  # the environment carries it (also into a --background child)
            os.environ[ENV_VAR] = args.throttling
        try:
            throttling_enabled()
        except ThrottlingSettingError as exc:
            return cli_error(str(exc))
        if args.background:
            return serve_background(host=args.host, port=args.port, state_dir=state_dir)
        return serve_forever(
            host=args.host, port=args.port, state_dir=state_dir, detached=args.detached
        )
    if args.command == "env":
        return print_env(state_dir)
    if args.command == "stop":
        return stop_service(state_dir)
    if args.command == "teams-token":
        return teams_token_command(args, state_dir)
    try:
        if args.command == "info":
            return _info(state_dir)
        return _reset(state_dir)
    except STATE_ERRORS as exc:
        return state_dir_error(state_dir, exc)


if __name__ == "__main__":
    sys.exit(main())
