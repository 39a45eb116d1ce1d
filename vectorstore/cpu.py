"""How many CPU cores are free right now (threads beyond that oversubscribe and crawl)."""

from __future__ import annotations

import os
import time


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _cpu_times() -> dict[str, tuple[int, int]]:
    times = {}
    with open("/proc/stat", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("cpu") and line[3].isdigit():
                name, *fields = line.split()
                values = [int(x) for x in fields]
                idle = values[3] + (values[4] if len(values) > 4 else 0)
                times[name] = (idle, sum(values))
    return times


def free_cores(sample_s: float = 0.1) -> int:
    """Usable cores that were mostly idle over a short sample (at least 1).

    Falls back to all usable cores where /proc/stat is not available.
    """
    total = usable_cores()
    try:
        before = _cpu_times()
        time.sleep(sample_s)
        after = _cpu_times()
    except OSError:
        return total
    idle_cores = 0.0
    for name, (idle1, all1) in after.items():
        idle0, all0 = before.get(name, (idle1, all1))
        if all1 > all0:
            idle_cores += (idle1 - idle0) / (all1 - all0)
    return max(1, min(total, round(idle_cores)))
