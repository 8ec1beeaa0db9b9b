"""A no-op actor: the ceiling of the broker and workers, measured in the same run."""
import dramatiq


@dramatiq.actor(queue_name="bench_noop", max_retries=0)
def noop(i):
    return None
