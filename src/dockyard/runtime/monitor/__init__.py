"""The per-host monitor: the one process that holds every container's stdio.

It is started once per exec root (``python -m dockyard.runtime.monitor``, see
:func:`.client.ensure_running`), detaches from the daemon, and is the child subreaper of
every container process, so it writes the json-file logs, collects exit codes, and keeps
doing both while ``dockyardd`` restarts. The daemon talks to it over a versioned JSON-lines
protocol (:mod:`.protocol`) with :class:`.client.MonitorClient`.

On disk, under the exec root::

    <exec-root>/
      monitor.sock          the protocol's socket (0600)
      monitor.pid           pid of the serving monitor
      monitor.lock          flock held by it: one monitor per exec root
      monitor.log           its stderr (when started by ensure_running)
      monitor/state.json    containers held and exit records (see records.py)
      monitor/pids/         runtime pid files, gone once read
      monitor/c-*.sock      one-shot console sockets (TTY), gone once the pty arrived

If the monitor itself dies (it should not: it is small and does nothing clever), the pipes it
held die with it. The containers live on, reparented to init, but their next write to stdout
or stderr meets a closed pipe (SIGPIPE), their exit codes cannot be collected, and their
output is no longer logged. A new monitor reports them truthfully from ``state.json``:
``orphaned`` while their init lives, ``unknown`` (exit code null) once it has gone.
"""
