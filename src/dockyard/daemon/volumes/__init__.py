"""The volume service (L3): ``/volumes`` verbs and volumes in containers.

* :mod:`~.service` — create/ls/inspect/rm/prune/df over the local driver;
* :mod:`~.plan` — a container's mounts from ``-v``, ``--mount``, ``--volumes-from`` and the
  image's ``VOLUME``s (pure);
* :mod:`~.hooks` — the container hooks: refs from create to removal, copy-up, spec mounts,
  ``rm -v``, ``Mounts`` in inspect;
* :mod:`~.wiring` — building it all from the daemon's configuration.
"""
