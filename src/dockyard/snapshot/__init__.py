"""Snapshotters: layered filesystems described as mounts, never mounted here."""
