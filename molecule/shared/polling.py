"""Waiting for what a test expects, shared by the testinfra tests of several scenarios."""

import time


def wait(predicate, timeout=120, step=2, what="condition"):
    """The first true value of predicate(), called every `step` s; fails after `timeout` s."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not reached within {timeout} s")
        time.sleep(step)
