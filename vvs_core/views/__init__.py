"""Core routes. Each view module adds its own routes in its ``includeme`` and is
scanned on its own (narrow scans)."""

MODULES = (".auth", ".home", ".signup", ".validation", ".account", ".community", ".directory", ".referent_tools", ".admin", ".admin_users", ".admin_communes", ".admin_plugins",
           ".pwa", ".accessibility")


def includeme(config):
    config.add_route("home", "/")
    config.add_route("login", "/connexion")
    config.add_route("logout", "/deconnexion")
    config.add_route("password_forgot", "/mot-de-passe-oublie")
    config.add_route("password_reset", "/mot-de-passe/nouveau/{token}")
    config.add_route("charter", "/charte")
    config.scan(".auth")
    config.scan(".home")
    for module in MODULES[2:]:
        config.include(module)
