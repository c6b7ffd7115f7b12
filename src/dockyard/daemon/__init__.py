"""L3 services of the daemon and its composition root (wiring.py)."""
