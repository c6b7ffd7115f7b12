"""Volumes (L2): named directories that outlive containers.

* :mod:`~dockyard.volume.base` — the :class:`VolumeDriver` contract and the :class:`Volume`
  record (refcounted mounts, Docker's errors);
* :mod:`~dockyard.volume.local` — the ``local`` driver: ``<root>/<name>/_data``, atomic
  metadata, persisted refs, ``type``/``device``/``o`` options mounted on first use;
* :mod:`~dockyard.volume.copyup` — Docker's copy of image content into an empty volume;
* :mod:`~dockyard.volume.validate` — names, options and the Mount they describe (pure);
* :mod:`~dockyard.volume.mountinfo` — which paths are mount points (the kernel's table).

Wire shapes and ``volume ls``/``prune`` filters live in :mod:`dockyard.apitypes.volumes`;
the in-memory fake is :mod:`dockyard.testing.memory_volumes`.
"""
