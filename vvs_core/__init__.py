"""vvs: the Pyramid application factory."""
from pyramid.config import Configurator

from .plugins import hookimpl, hookspec  # noqa: F401  (plugins write ``from vvs_core import hookimpl``)


def main(global_config, **settings):
    """Build the WSGI application from the .ini settings.

    A wrong setting, plugin or provider ends ``pserve`` with the one line ``vvs check``
    prints (exit code 2), not a traceback."""
    from .errors import ConfigurationError

    # pserve's ``http_port=`` (make run) is also where links point unless vvs.public_url is set.
    try:
        config = make_config(settings, port=global_config.get("http_port"))
    except ConfigurationError as exc:
        import sys

        print(f"vvs: {' '.join(str(exc).split())}", file=sys.stderr)
        raise SystemExit(2) from None
    app = config.make_wsgi_app()
    from vvs_core.jobs import tasks

    tasks.set_task_registry(config.registry)
    if config.registry.settings["vvs.broker_url"] == "inline":
        tasks.start_inline_worker(config.registry, config.registry.settings["vvs.inline_worker_threads"])
    return settle(app)


def settle(app):
    """Freeze the long-lived objects (modules, routes, mappers): full collections skip them."""
    import gc
    from sqlalchemy.orm import configure_mappers
    configure_mappers(), gc.collect(), gc.freeze()
    return app


def make_config(settings, registry_extras=None, port=None) -> Configurator:
    """The configured Configurator; tests and commands use it without serving."""
    from .app import configure

    return configure(settings, registry_extras or {}, port=port)
