"""The ``vvs`` command line: migrations, workers, scheduler, users, settings, and the
commands that plugins add (``vvs_register_commands``: ``vvs demo``, ``vvs docs``).

Every command takes the .ini path as its first argument after the command's name
(``vvs plugins production.ini``), defaulting to ``development.ini``. A wrong path, a
missing ``[app:main]`` section, a bad setting or an unreachable database ends the
command with one line on stderr and exit code 2, never a traceback (``--traceback``
shows it when debugging).
"""

import argparse
import getpass
import os
import signal
import sys
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from vvs_core.errors import ConfigurationError

DEFAULT_INI = "development.ini"
EXIT_USAGE = 2
ROLES = ("resident", "moderator", "admin")


class CommandError(Exception):
    """A command cannot go on: the message is the one line the user sees."""


# --- Reading the .ini ---------------------------------------------------------

def read_ini(path: str) -> dict:
    """The raw ``[app:main]`` settings of ``path``, or CommandError saying what is wrong."""
    ini = Path(path)
    if not ini.is_file():
        raise CommandError(f"{path}: no such file (the .ini path comes after the command's name, {DEFAULT_INI} by default)")
    from pyramid.paster import get_appsettings

    try:
        return dict(get_appsettings(str(ini.resolve())))
    except LookupError:
        raise CommandError(f"{path}: no [app:main] section (copy it from development.ini)") from None
    except Exception as exc:  # PasteDeploy raises many kinds for a malformed file
        raise CommandError(f"{path}: cannot be read: {one_line(exc)}") from None


def setup_logging(path: str) -> None:
    from pyramid.paster import setup_logging as paster_setup_logging

    try:
        paster_setup_logging(str(Path(path).resolve()))
    except Exception as exc:
        raise CommandError(f"{path}: the logging sections are wrong: {one_line(exc)}") from None


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@dataclass
class Loaded:
    """What ``load_settings`` gives for an .ini: enough for commands that need no web app."""
    ini: str
    raw: dict
    settings: dict
    pm: object
    declared: object
    enabled: list
    specs: list

    @property
    def database_url(self) -> str:
        return self.settings["vvs.database_url"]

    def plugin_modules(self) -> list[str]:
        from vvs_core.plugins import plugin_module_name

        return [plugin_module_name(self.pm, name) for name in self.enabled]


def load(ini: str, overrides: dict | None = None) -> Loaded:
    from vvs_core.app import load_settings

    raw = read_ini(ini)
    raw.update(overrides or {})
    settings, pm, declared, enabled, specs = load_settings(raw)
    return Loaded(ini, raw, settings, pm, declared, enabled, specs)


def masked_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


def open_session(loaded: Loaded):
    """A plain session (no transaction manager): commands commit themselves."""
    from sqlalchemy.orm import Session

    from vvs_core.web.cache import cache_url, shared_generation
    from vvs_core.models import get_engine

    url = cache_url(loaded.settings)
    if url.startswith(("redis://", "rediss://")):
        shared_generation(url)  # the running web processes' page caches hear of this command's writes
    return Session(get_engine(loaded.database_url), expire_on_commit=False)


def ensure_sqlite_folder(url: str) -> None:
    """SQLite creates the file but not its folder (``var/`` in a fresh clone)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


# --- Commands -----------------------------------------------------------------

def cmd_db_upgrade(args) -> int:
    loaded = load(args.ini)
    setup_logging(args.ini)
    from vvs_core.models import migrate

    ensure_sqlite_folder(loaded.database_url)
    modules = loaded.plugin_modules()
    migrate.upgrade(loaded.database_url, modules, settings=loaded.settings)
    print(f"Database {masked_url(loaded.database_url)} is up to date (vvs_core{''.join(' ' + m for m in modules)}).")
    return 0


def cmd_worker(args) -> int:
    loaded = load(args.ini)
    separate_broker(args.ini, loaded, "its worker runs inside the web process")
    argv = [sys.executable, "-m", "dramatiq", "vvs_core.jobs.worker_boot",
            "--processes", str(args.processes), "--threads", str(args.threads)]
    env = dict(os.environ, VVS_INI=str(Path(args.ini).resolve()))
    sys.stdout.flush()
    os.execve(sys.executable, argv, env)
    return 0  # not reached: exec replaces this process


def cmd_scheduler(args) -> int:
    loaded = load(args.ini)
    separate_broker(args.ini, loaded, "the web process runs the periodic tasks itself")
    setup_logging(args.ini)
    from vvs_core import make_config
    from vvs_core.jobs.tasks import PeriodicScheduler

    registry = make_config(loaded.raw).registry
    periodic = list(registry.vvs_periodic_tasks)
    names = ", ".join(f"{name} every {seconds}s" for name, _actor, seconds in periodic) or "none"
    print(f"Scheduler started (one per deployment is enough): {names}", flush=True)
    run_until_signalled(PeriodicScheduler(periodic))
    return 0


def separate_broker(ini, loaded, why: str) -> None:
    if loaded.settings["vvs.broker_url"] == "inline":
        raise CommandError(f"{ini}: vvs.broker_url is inline: {why}; set a redis://… or amqp://… broker")


def run_until_signalled(scheduler) -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler.start()
    stop.wait()
    scheduler.stop()
    scheduler.join(timeout=5)


def cmd_plugins(args) -> int:
    loaded = load(args.ini)
    from vvs_core.plugins import hooks_implemented

    installed = sorted(entry_points(group="vvs"), key=lambda ep: ep.name)
    width = max([len(ep.name) for ep in installed] + [len("vvs_core")])
    core_parts = [name for name, _plugin in loaded.pm.list_name_plugin() if name.startswith("vvs_core")]
    core_hooks = ", ".join(sorted({hook for name in core_parts for hook in hooks_implemented(loaded.pm, name)}))
    print(f"{'vvs_core':<{width}}  built in   always on; hooks: {core_hooks}")
    if not installed:
        print("No plugin is installed.")
    for ep in installed:
        origin = f"{ep.value} from {ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
        if ep.name in loaded.enabled:
            hooks = ", ".join(hooks_implemented(loaded.pm, ep.name)) or "no hook"
            print(f"{ep.name:<{width}}  enabled    {origin}; hooks: {hooks}")
        else:
            print(f"{ep.name:<{width}}  disabled   {origin}; not imported (add it to vvs.plugins to enable it)")
    return 0


def cmd_user_create(args) -> int:
    loaded = load(args.ini)
    from vvs_core.accounts.security import password_problem
    from vvs_core.web.forms import email_problem

    if problem := email_problem(args.email.strip().lower()):  # the forms' rule, before a password is typed
        raise CommandError(f"{args.email!r} is not an e-mail address: {problem}")
    password = new_password(args)
    if problem := password_problem(password, loaded.settings["vvs.password_min_length"],
                                   (args.email.split("@")[0], args.first_name, args.last_name)):
        raise CommandError(f"password refused: {problem}")
    with open_session(loaded) as session:
        user = create_user(session, args, password)
        session.commit()
        print(f"User {user.id} created: {user.email} ({args.role}).")
    return 0


def new_password(args) -> str:
    """--password, else VVS_NEW_PASSWORD, else asked twice on the terminal."""
    if args.password:
        return args.password
    if os.environ.get("VVS_NEW_PASSWORD"):
        return os.environ["VVS_NEW_PASSWORD"]
    if not sys.stdin.isatty():
        raise CommandError("no password: pass --password, set VVS_NEW_PASSWORD, or run in a terminal to be asked")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Confirmez le mot de passe : ") != first:
        raise CommandError("the two passwords differ")
    return first


def create_user(session, args, password):
    from vvs_core.clock import utcnow
    from vvs_core.models import User
    from vvs_core.accounts.registration import email_taken
    from vvs_core.accounts.security import hash_password

    email = args.email.strip().lower()
    if email_taken(session, email):
        raise CommandError(f"a user with the e-mail {email} already exists")
    user = User(
        email=email, password_hash=hash_password(password),
        first_name=args.first_name, last_name=args.last_name, pseudonym=args.first_name,
        is_moderator=args.role == "moderator", is_admin=args.role == "admin",
        email_confirmed_at=utcnow(),  # an operator vouches for the address
    )
    session.add(user)
    session.flush()
    return user


def cmd_check(args) -> int:
    """Everything ``pserve`` does before serving: every setting, every plugin, every
    chosen provider built, the database reached. Exit 0, or 2 with one line."""
    loaded = load(args.ini)
    from sqlalchemy import text

    from vvs_core import make_config
    from vvs_core.models import get_engine
    from vvs_core.providers import KINDS, Outage, provider_on

    registry = make_config(loaded.raw).registry
    print(f"settings: {len(loaded.declared.declared)} declared, all valid")
    print(f"plugins: {', '.join(loaded.enabled) or 'none'}")
    for kind in KINDS:
        provider = provider_on(registry, kind)
        if provider is None:
            continue
        problem = provider.health() if callable(getattr(provider, "health", None)) else None
        if problem and not isinstance(problem, Outage):
            raise CommandError(f"{kind} provider {provider.name!r}: {problem}")
        if problem:
            print(f"vvs check: avertissement : {problem}", file=sys.stderr)
        print(f"{kind} provider: {provider.name} (started{', service down' if problem else ''})")
    with get_engine(loaded.database_url).connect() as connection:
        connection.execute(text("SELECT 1"))
    print(f"database: {masked_url(loaded.database_url)} (reachable)")
    print(f"{args.ini}: ready to serve")
    return 0


def cmd_settings(args) -> int:
    loaded = load(args.ini)
    declared = loaded.declared.declared
    names = sorted(name for name in loaded.settings if name.startswith("vvs."))
    width = max(len(name) for name in names)
    for name in names:
        setting = declared.get(name)
        value = loaded.settings[name]
        shown = masked_setting(name, value) if setting is not None and setting.secret else display_value(value)
        source = " (from the environment)" if setting is not None and setting.env_name in os.environ else ""
        print(f"{name:<{width}} = {shown}{source}")
    from vvs_core.providers import chosen_specs

    sys.stdout.flush()
    chosen_specs(loaded.settings, loaded.specs)  # then a chosen provider's required settings: exit 2
    return 0


# Secrets whose only secret part is the password: the rest says which server is used.
SERVER_URLS = ("vvs.database_url", "vvs.broker_url", "vvs.ratelimit_url", "vvs.cache_url")


def masked_setting(name: str, value) -> str:
    text = display_value(value)
    if name in SERVER_URLS and "://" in text:
        from sqlalchemy.engine import make_url

        try:
            return make_url(text).render_as_string(hide_password=True)
        except Exception:
            return "***"
    return "***" if text else ""


def display_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def cmd_reseal(args) -> int:
    loaded = load(args.ini)
    setup_logging(args.ini)
    with open_session(loaded) as session:
        answers = [a for a in loaded.pm.hook.vvs_reseal_secrets(dbsession=session, settings=loaded.settings) if a]
        session.commit()
    for what, count in answers:
        print(f"{what}: {count} re-sealed with the first key")
    if not answers:
        print("no enabled plugin keeps sealed secrets")
    return 0


# --- Parser -------------------------------------------------------------------

def build_parser(plugin_commands=()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vvs", description="Voisins vigilants et solidaires: server commands.")
    parser.add_argument("--traceback", action="store_true", help="show the full traceback of an error")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    db = commands.add_parser("db", help="database migrations").add_subparsers(dest="db_command", metavar="ACTION", required=True)
    add_command(db, "upgrade", cmd_db_upgrade, "apply the migrations of the core and of every enabled plugin")
    worker = add_command(commands, "worker", cmd_worker, "run dramatiq workers for the configured broker")
    worker.add_argument("--processes", type=positive_int, default=2, help="worker processes (default 2)")
    worker.add_argument("--threads", type=positive_int, default=4, help="threads per process (default 4)")
    add_command(commands, "scheduler", cmd_scheduler, "enqueue the periodic tasks (run one per deployment)")
    add_command(commands, "reseal", cmd_reseal,
                "seal every secret kept at rest again with the first key of its setting (after a key rotation)")
    add_command(commands, "plugins", cmd_plugins, "list installed plugins, which are enabled and their hooks")
    user = commands.add_parser("user", help="user accounts").add_subparsers(dest="user_command", metavar="ACTION", required=True)
    create = add_command(user, "create", cmd_user_create, "create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--first-name", required=True)
    create.add_argument("--last-name", required=True)
    create.add_argument("--password", help="prefer VVS_NEW_PASSWORD or the prompt: arguments show in `ps`")
    create.add_argument("--role", choices=ROLES, default="resident")
    add_command(commands, "settings", cmd_settings, "print the effective settings, secrets masked")
    add_command(commands, "check", cmd_check,
                "check every setting, plugin and chosen provider, and the database, without serving")
    for command in plugin_commands:
        if command.name in commands.choices:
            raise CommandError(f"two commands are named {command.name!r} (vvs_register_commands)")
        added = add_command(commands, command.name, lambda args, run=command.run: run(load(args.ini), args), command.help)
        if command.arguments is not None:
            command.arguments(added)
    parser.command_names = set(commands.choices)
    return parser


def plugin_commands(argv) -> tuple[list, str | None]:
    """The commands that the plugins enabled by the .ini of the command line add
    (``vvs_register_commands``), and why none could be read (one line) or None."""
    ini = next((a for a in argv if a.endswith(".ini") and not a.startswith("-")), DEFAULT_INI)
    try:
        pm = load(ini).pm
    except Exception as exc:
        return [], explain(exc, argparse.Namespace(ini=ini))
    return [command for answer in pm.hook.vvs_register_commands() for command in answer or []], None


def add_command(subparsers, name, func, help_text):
    command = subparsers.add_parser(name, help=help_text, description=help_text)
    command.add_argument("ini", nargs="?", default=DEFAULT_INI, metavar="INI",
                         help=f"the .ini file (default {DEFAULT_INI})")
    command.set_defaults(func=func)
    return command


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    commands, problem = plugin_commands(argv)
    try:
        parser = build_parser(commands)
    except CommandError as exc:
        print(f"vvs: {exc}", file=sys.stderr)
        return EXIT_USAGE
    word = next((a for a in argv if not a.startswith("-")), None)
    if problem and word is not None and word not in parser.command_names:
        print(f"vvs {word}: {problem}", file=sys.stderr)  # a plugin's command, whose plugins cannot load
        return EXIT_USAGE
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `vvs plugins | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if args.traceback:
            raise
        label = " ".join(filter(None, (args.command, getattr(args, "db_command", None), getattr(args, "user_command", None))))
        print(f"vvs {label}: {explain(exc, args)}", file=sys.stderr)
        return EXIT_USAGE


def explain(exc: Exception, args) -> str:
    """One line for the user; unexpected errors keep their type so they can be reported."""
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    if isinstance(exc, (CommandError, ConfigurationError)):
        return one_line(exc)
    text = one_line(getattr(exc, "orig", None) or exc)
    if isinstance(exc, (OperationalError, ProgrammingError)) and ("no such table" in text or "does not exist" in text):
        return f"the database has no vvs tables yet: run `vvs db upgrade {args.ini}` first ({text})"
    if isinstance(exc, DBAPIError):
        return f"cannot use the database: {text}"
    return f"{type(exc).__name__}: {text} (rerun with --traceback for details)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
