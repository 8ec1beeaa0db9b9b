"""Leased jobs: background work that a killed worker or a broker that forgot its
queues must not lose (an alert's fan-out). See ``vvs_core.jobs.lease``."""


def includeme(config):
    # Imported here: the broker must be configured before the reaper actor is declared.
    from . import actors, tasks

    tasks.follow_current_broker(actors.reap_jobs)
    config.add_periodic_task(actors.reap_jobs, config.registry.settings["vvs.jobs.reap_interval"])
