from luukku.core.jobs import job


@job(max_attempts=1)
def noop(n: int) -> int:
    return n
