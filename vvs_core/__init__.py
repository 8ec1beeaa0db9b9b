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
    """Compile the templates where Chameleon keeps them on disk (``CHAMELEON_CACHE``: 0.3 s, not 10 s of CPU), freeze
    the long-lived objects, then the first three full collections' survivors (SQLAlchemy's compiled statements)."""
    import gc, os
    from sqlalchemy.orm import configure_mappers
    from .web import compile_templates
    compile_templates(app.registry) if os.environ.get("CHAMELEON_CACHE") else None
    later = [gc.freeze] * 3
    survivors = lambda phase, info: later.pop()() if phase == "stop" and info["generation"] == 2 and later else None  # noqa
    configure_mappers(), gc.collect(), gc.freeze(), gc.callbacks.append(survivors)
    return app


def make_config(settings, registry_extras=None, port=None) -> Configurator:
    """The configured Configurator; tests and commands use it without serving."""
    from .app import configure

    return configure(settings, registry_extras or {}, port=port)
