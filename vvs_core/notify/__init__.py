"""The notification outbox.

``outbox``: what other code calls (create rows, notify a user, reach, receipts).
``actors``: delivery and the sweeper (dramatiq). ``dev_providers``: console SMS and
e-mail to a folder. The row itself is ``vvs_core.models.notification``.
"""


def includeme(config):
    # Imported here, not at the top: the broker must be configured before any actor
    # is declared, and plugins import this package earlier than that.
    from ..jobs.tasks import follow_current_broker
    from . import actors

    follow_current_broker(actors.deliver, actors.redeliver, actors.sweep_outbox)
    config.add_periodic_task(actors.sweep_outbox, config.registry.settings["vvs.outbox.sweep_interval"])
