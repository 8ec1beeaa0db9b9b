"""``vvs demo INI``: load the demo commune once, then each enabled plugin's part, and
print the demo logins."""
from __future__ import annotations

from vvs_core.cli import CommandError, open_session, setup_logging

from . import loader


def run_demo(loaded, args) -> int:
    setup_logging(loaded.ini)
    with open_session(loaded) as session:
        already = loader.is_loaded(session, loaded.settings)
        try:
            logins = loader.load_demo(session, loaded.settings, loaded.pm)
        except loader.DemoError as exc:
            raise CommandError(str(exc)) from None
        session.commit()
    if already:
        print("The demo commune was already loaded: nothing changed (plugins enabled since then added their part).")
    else:
        print(f"Demo commune loaded: {loader.describe(loaded.settings)}.")
    print_logins(logins)
    return 0


def print_logins(logins) -> None:
    print("Demo logins (same password for every account):")
    width = max(len(role) for role, _e, _p in logins)
    for role, email, password in logins:
        print(f"  {role:<{width}}  {email:<28}  {password}")
