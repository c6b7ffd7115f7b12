"""The flags of ``create``/``run`` (docker's containerOptions), and ``run``'s own extras.

Kinds are the parser's (bool/str/int/list); typed values (sizes, durations, ports) arrive
as strings and are checked by :mod:`dockyard.cli.runopts`, which reports them in pflag's
words (``invalid argument "x" for "-m, --memory" flag: ...``).
"""

from __future__ import annotations

from dockyard.cli.flags import Flag

__all__ = ["container_flags", "create_flags", "run_flags"]

_L = "list"
_S = "str"
_I = "int"


def container_flags() -> list[Flag]:
    return [
        Flag("add-host", "", _L, "Add a custom host-to-IP mapping (host:ip)"),
        Flag("annotation", "", _L, "Add an annotation to the container", metavar="map"),
        Flag("attach", "a", _L, "Attach to STDIN, STDOUT or STDERR"),
        Flag(
            "blkio-weight",
            "",
            _S,
            "Block IO (relative weight), between 10 and 1000",
            metavar="uint16",
        ),
        Flag("cap-add", "", _L, "Add Linux capabilities"),
        Flag("cap-drop", "", _L, "Drop Linux capabilities"),
        Flag("cgroup-parent", "", _S, "Optional parent cgroup for the container"),
        Flag("cgroupns", "", _S, "Cgroup namespace to use (host|private)"),
        Flag("cidfile", "", _S, "Write the container ID to the file"),
        Flag("cpu-period", "", _I, "Limit CPU CFS (Completely Fair Scheduler) period"),
        Flag("cpu-quota", "", _I, "Limit CPU CFS (Completely Fair Scheduler) quota"),
        Flag("cpu-rt-period", "", _I, "Limit CPU real-time period in microseconds"),
        Flag("cpu-rt-runtime", "", _I, "Limit CPU real-time runtime in microseconds"),
        Flag("cpu-shares", "c", _I, "CPU shares (relative weight)"),
        Flag("cpus", "", _S, "Number of CPUs", metavar="decimal"),
        Flag("cpuset-cpus", "", _S, "CPUs in which to allow execution (0-3, 0,1)"),
        Flag("cpuset-mems", "", _S, "MEMs in which to allow execution (0-3, 0,1)"),
        Flag("device", "", _L, "Add a host device to the container"),
        Flag("device-cgroup-rule", "", _L, "Add a rule to the cgroup allowed devices list"),
        Flag("dns", "", _L, "Set custom DNS servers"),
        Flag("dns-option", "", _L, "Set DNS options", aliases=("dns-opt",)),
        Flag("dns-search", "", _L, "Set custom DNS search domains"),
        Flag("domainname", "", _S, "Container NIS domain name"),
        Flag("entrypoint", "", _S, "Overwrite the default ENTRYPOINT of the image", optional=True),
        Flag("env", "e", _L, "Set environment variables"),
        Flag("env-file", "", _L, "Read in a file of environment variables"),
        Flag("expose", "", _L, "Expose a port or a range of ports"),
        Flag("group-add", "", _L, "Add additional groups to join"),
        Flag("health-cmd", "", _S, "Command to run to check health"),
        Flag(
            "health-interval",
            "",
            _S,
            "Time between running the check (ms|s|m|h) (default 0s)",
            metavar="duration",
        ),
        Flag("health-retries", "", _I, "Consecutive failures needed to report unhealthy"),
        Flag(
            "health-start-interval",
            "",
            _S,
            "Time between running the check during the start period (ms|s|m|h) (default 0s)",
            metavar="duration",
        ),
        Flag(
            "health-start-period",
            "",
            _S,
            "Start period for the container to initialize before starting health-retries "
            "countdown (ms|s|m|h) (default 0s)",
            metavar="duration",
        ),
        Flag(
            "health-timeout",
            "",
            _S,
            "Maximum time to allow one check to run (ms|s|m|h) (default 0s)",
            metavar="duration",
        ),
        Flag("hostname", "h", _S, "Container host name"),
        Flag(
            "init",
            "",
            "bool",
            "Run an init inside the container that forwards signals and reaps processes",
            optional=True,
        ),
        Flag("interactive", "i", help="Keep STDIN open even if not attached"),
        Flag("ip", "", _S, "IPv4 address (e.g., 172.30.100.104)"),
        Flag("ip6", "", _S, "IPv6 address (e.g., 2001:db8::33)"),
        Flag("ipc", "", _S, "IPC mode to use"),
        Flag("isolation", "", _S, "Container isolation technology"),
        Flag("label", "l", _L, "Set meta data on a container"),
        Flag("label-file", "", _L, "Read in a line delimited file of labels"),
        Flag("link", "", _L, "Add link to another container"),
        Flag("link-local-ip", "", _L, "Container IPv4/IPv6 link-local addresses"),
        Flag("log-driver", "", _S, "Logging driver for the container"),
        Flag("log-opt", "", _L, "Log driver options"),
        Flag("mac-address", "", _S, "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
        Flag("memory", "m", _S, "Memory limit", metavar="bytes"),
        Flag("memory-reservation", "", _S, "Memory soft limit", metavar="bytes"),
        Flag(
            "memory-swap",
            "",
            _S,
            "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
            metavar="bytes",
        ),
        Flag(
            "memory-swappiness",
            "",
            _I,
            "Tune container memory swappiness (0 to 100) (default -1)",
            default=-1,
        ),
        Flag("mount", "", _L, "Attach a filesystem mount to the container", metavar="mount"),
        Flag("name", "", _S, "Assign a name to the container"),
        Flag(
            "network",
            "",
            _L,
            "Connect a container to a network",
            metavar="network",
            aliases=("net",),
        ),
        Flag(
            "network-alias",
            "",
            _L,
            "Add network-scoped alias for the container",
            aliases=("net-alias",),
        ),
        Flag("no-healthcheck", help="Disable any container-specified HEALTHCHECK"),
        Flag("oom-kill-disable", help="Disable OOM Killer"),
        Flag("oom-score-adj", "", _I, "Tune host's OOM preferences (-1000 to 1000)"),
        Flag("pid", "", _S, "PID namespace to use"),
        Flag("pids-limit", "", _I, "Tune container pids limit (set -1 for unlimited)"),
        Flag("platform", "", _S, "Set platform if server is multi-platform capable"),
        Flag("privileged", help="Give extended privileges to this container"),
        Flag("publish", "p", _L, "Publish a container's port(s) to the host"),
        Flag("publish-all", "P", help="Publish all exposed ports to random ports"),
        Flag(
            "pull",
            "",
            _S,
            'Pull image before running ("always", "missing", "never") (default "missing")',
            default="missing",
        ),
        Flag("quiet", "q", help="Suppress the pull output"),
        Flag("read-only", help="Mount the container's root filesystem as read only"),
        Flag(
            "restart",
            "",
            _S,
            'Restart policy to apply when a container exits (default "no")',
            default="no",
        ),
        Flag(
            "rm",
            help="Automatically remove the container and its associated anonymous volumes when it "
            "exits",
        ),
        Flag("runtime", "", _S, "Runtime to use for this container"),
        Flag("security-opt", "", _L, "Security Options"),
        Flag("shm-size", "", _S, "Size of /dev/shm", metavar="bytes"),
        Flag("stop-signal", "", _S, "Signal to stop the container"),
        Flag("stop-timeout", "", _I, "Timeout (in seconds) to stop a container", optional=True),
        Flag("storage-opt", "", _L, "Storage driver options for the container"),
        Flag("sysctl", "", _L, "Sysctl options", metavar="map"),
        Flag("tmpfs", "", _L, "Mount a tmpfs directory"),
        Flag("tty", "t", help="Allocate a pseudo-TTY"),
        Flag("ulimit", "", _L, "Ulimit options", metavar="ulimit"),
        Flag("user", "u", _S, "Username or UID (format: <name|uid>[:<group|gid>])"),
        Flag("userns", "", _S, "User namespace to use"),
        Flag("uts", "", _S, "UTS namespace to use"),
        Flag("volume", "v", _L, "Bind mount a volume"),
        Flag("volume-driver", "", _S, "Optional volume driver for the container"),
        Flag("volumes-from", "", _L, "Mount volumes from the specified container(s)"),
        Flag("workdir", "w", _S, "Working directory inside the container"),
    ]


def create_flags() -> list[Flag]:
    return container_flags()


def run_flags() -> list[Flag]:
    flags = container_flags()
    flags += [
        Flag("detach", "d", help="Run container in background and print container ID"),
        Flag("detach-keys", "", _S, "Override the key sequence for detaching a container"),
        Flag(
            "sig-proxy",
            "",
            "bool",
            "Proxy received signals to the process (default true)",
            default=True,
        ),
    ]
    return sorted(flags, key=lambda f: f.long)
