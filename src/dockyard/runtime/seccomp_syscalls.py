"""The data of Dockyard's default seccomp allowlist (x86_64 with its x86 and x32 ABIs).

The same system calls Docker's default profile lets a default container make, grouped by
what they are for so that a reviewer can see why each is there. Names unknown to the
host's libseccomp are skipped by runc, so recent calls can be listed safely.
"""

from __future__ import annotations

__all__ = ["ALWAYS", "BY_CAPABILITY", "PTRACE_SINCE_4_8", "X86_64_ONLY", "X86_FAMILY"]


def _names(text: str) -> tuple[str, ...]:
    return tuple(sorted(set(text.split())))


_FILES = """
    access faccessat faccessat2 chdir fchdir getcwd chmod fchmod fchmodat fchmodat2
    chown chown32 fchown fchown32 fchownat lchown lchown32 umask
    open openat openat2 creat close close_range read readv pread64 preadv preadv2
    write writev pwrite64 pwritev pwritev2 lseek _llseek dup dup2 dup3 fcntl fcntl64
    flock fsync fdatasync sync syncfs sync_file_range fadvise64 fadvise64_64 fallocate
    readahead truncate truncate64 ftruncate ftruncate64 copy_file_range sendfile sendfile64
    splice tee vmsplice
    stat stat64 lstat lstat64 fstat fstat64 fstatat64 newfstatat statx statfs statfs64
    fstatfs fstatfs64 getdents getdents64 mkdir mkdirat mknod mknodat rmdir rename renameat
    renameat2 link linkat symlink symlinkat unlink unlinkat readlink readlinkat
    utime utimes utimensat utimensat_time64 futimesat name_to_handle_at
    getxattr lgetxattr fgetxattr getxattrat setxattr lsetxattr fsetxattr setxattrat
    listxattr llistxattr flistxattr listxattrat removexattr lremovexattr fremovexattr
    removexattrat inotify_init inotify_init1 inotify_add_watch inotify_rm_watch
    fanotify_mark statmount listmount cachestat
"""

_IO_EVENTS = """
    select _newselect pselect6 pselect6_time64 poll ppoll ppoll_time64
    epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old
    epoll_pwait epoll_pwait2 eventfd eventfd2 signalfd signalfd4 timerfd_create
    timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 pipe pipe2 ioctl
    io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents io_pgetevents_time64
    ioprio_get ioprio_set
"""

_MEMORY = """
    brk mmap mmap2 munmap mremap mprotect madvise mincore msync mlock mlock2 mlockall
    munlock munlockall remap_file_pages membarrier memfd_create memfd_secret
    pkey_alloc pkey_free pkey_mprotect map_shadow_stack mseal process_mrelease
"""

_PROCESSES = """
    execve execveat exit exit_group fork vfork wait4 waitid waitpid kill tkill tgkill
    pidfd_open pidfd_send_signal getpid getppid gettid getpgid getpgrp setpgid getsid setsid
    getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid
    getresuid32 getresgid getresgid32 getgroups getgroups32 setuid setuid32 setgid setgid32
    setreuid setreuid32 setregid setregid32 setresuid setresuid32 setresgid setresgid32
    setfsuid setfsuid32 setfsgid setfsgid32 setgroups setgroups32 capget capset prctl
    getpriority setpriority getrlimit setrlimit ugetrlimit prlimit64 getrusage times
    sched_getaffinity sched_setaffinity sched_getattr sched_setattr sched_getparam
    sched_setparam sched_getscheduler sched_setscheduler sched_get_priority_max
    sched_get_priority_min sched_rr_get_interval sched_rr_get_interval_time64 sched_yield
    set_tid_address set_robust_list get_robust_list rseq restart_syscall get_thread_area
    set_thread_area getcpu seccomp landlock_add_rule landlock_create_ruleset
    landlock_restrict_self uname sysinfo getrandom uretprobe riscv_hwprobe
"""

_SIGNALS_AND_TIME = """
    rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
    rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaltstack sigprocmask
    sigreturn pause alarm nanosleep clock_nanosleep clock_nanosleep_time64 clock_getres
    clock_getres_time64 clock_gettime clock_gettime64 clock_adjtime clock_adjtime64 adjtimex
    gettimeofday time getitimer setitimer timer_create timer_delete timer_getoverrun
    timer_gettime timer_gettime64 timer_settime timer_settime64
    futex futex_time64 futex_wait futex_wake futex_waitv futex_requeue
"""

_IPC_AND_NET = """
    ipc msgctl msgget msgrcv msgsnd semctl semget semop semtimedop semtimedop_time64
    shmat shmctl shmdt shmget mq_open mq_unlink mq_getsetattr mq_notify mq_timedreceive
    mq_timedreceive_time64 mq_timedsend mq_timedsend_time64
    accept accept4 bind connect listen shutdown socketcall socketpair getsockname
    getpeername getsockopt setsockopt send sendto sendmsg sendmmsg recv recvfrom recvmsg
    recvmmsg recvmmsg_time64
"""

# Allowed for every container, whatever its capabilities.
ALWAYS: tuple[str, ...] = _names(
    _FILES + _IO_EVENTS + _MEMORY + _PROCESSES + _SIGNALS_AND_TIME + _IPC_AND_NET
)

# Allowed on the x86 family only.
X86_64_ONLY: tuple[str, ...] = _names("arch_prctl")
X86_FAMILY: tuple[str, ...] = _names("modify_ldt")

# Allowed when the container holds the capability (in its bounding set). CAP_SYS_ADMIN's
# clone/clone3 lift the namespace-flag restriction that applies otherwise.
BY_CAPABILITY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("CAP_DAC_READ_SEARCH", _names("open_by_handle_at")),
    (
        "CAP_SYS_ADMIN",
        _names(
            "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
            "lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr "
            "move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
            "sethostname setns syslog umount umount2 unshare"
        ),
    ),
    ("CAP_SYS_BOOT", _names("reboot")),
    ("CAP_SYS_CHROOT", _names("chroot")),
    ("CAP_SYS_MODULE", _names("delete_module init_module finit_module")),
    ("CAP_SYS_PACCT", _names("acct")),
    (
        "CAP_SYS_PTRACE",
        _names("kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"),
    ),
    ("CAP_SYS_RAWIO", _names("iopl ioperm")),
    ("CAP_SYS_TIME", _names("settimeofday stime clock_settime clock_settime64")),
    ("CAP_SYS_TTY_CONFIG", _names("vhangup")),
    ("CAP_SYS_NICE", _names("get_mempolicy mbind set_mempolicy set_mempolicy_home_node")),
    ("CAP_SYSLOG", _names("syslog")),
    ("CAP_BPF", _names("bpf")),
    ("CAP_PERFMON", _names("perf_event_open")),
)

# Allowed for everyone on kernels >= 4.8 (where ptrace can no longer bypass seccomp).
PTRACE_SINCE_4_8: tuple[str, ...] = _names("process_vm_readv process_vm_writev ptrace")
