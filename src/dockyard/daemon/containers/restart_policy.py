"""Restart policies (no, always, unless-stopped, on-failure[:N]) and Docker's back-off.

Pure decisions: the exit handler asks :func:`should_restart` and sleeps
:meth:`Backoff.next_delay` before starting the container again. The delay starts at 100 ms
and doubles at each restart up to one minute; a container that ran for ten seconds or more
starts the count again, as dockerd's restart manager does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.apitypes.host_config import RestartPolicy

__all__ = ["Backoff", "should_restart", "should_start_at_boot"]

INITIAL_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0


def should_restart(
    policy: RestartPolicy, exit_code: int, restart_count: int, manually_stopped: bool
) -> bool:
    """After a container exited by itself (``manually_stopped`` False) or was stopped."""
    if manually_stopped:
        return False
    name = policy.name or "no"
    if name in ("always", "unless-stopped"):
        return True
    if name == "on-failure":
        limit = policy.maximum_retry_count
        return exit_code != 0 and (limit <= 0 or restart_count < limit)
    return False


def should_start_at_boot(policy: RestartPolicy, manually_stopped: bool, exit_code: int) -> bool:
    """When the daemon starts: which stopped containers does the policy bring back."""
    name = policy.name or "no"
    if name == "always":
        return True
    if name == "unless-stopped":
        return not manually_stopped
    if name == "on-failure":
        return not manually_stopped and exit_code != 0
    return False


@dataclass
class Backoff:
    delays: dict[str, float] = field(default_factory=dict)

    def next_delay(self, cid: str, ran_for: float) -> float:
        previous = self.delays.get(cid, 0.0)
        if ran_for >= RESET_AFTER or previous == 0.0:
            delay = INITIAL_DELAY
        else:
            delay = min(previous * 2, MAX_DELAY)
        self.delays[cid] = delay
        return delay

    def forget(self, cid: str) -> None:
        self.delays.pop(cid, None)
