"""Small helpers with no knowledge of containers: atomic files, ids, subprocesses, time."""
