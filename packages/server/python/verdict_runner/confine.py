"""The confinement of the zygote and of each child it forks: nothing of the user's runs outside it.

Layers (each stops something on its own; docs/security.md, "Python function blocks", says what):
- rlimits: address space (the memory cap), CPU time (a backstop behind the zygote's wall clock),
  no file writes (FSIZE 0), no core dumps, few file descriptors;
- PR_SET_NO_NEW_PRIVS: nothing can gain privileges (and seccomp needs it);
- Landlock: read-only access to the Python installation, its site-packages and the operator's
  package directory, nothing else readable, no write anywhere, no TCP bind or connect (ABI >= 4);
  a child sits in a domain of its own, so it cannot signal the zygote or reach an abstract unix
  socket outside itself (ABI >= 6);
- uid/gid 65534 when started as root: owner of none of the host's files, no signal to any of its
  processes;
- seccomp: no sockets (socketpair only, for asyncio), no exec, no ptrace or other processes'
  memory, no namespaces, mounts, keyrings, BPF, io_uring, modules, no syscalls newer than the
  filter; in a child also no processes (clone only for threads), no pidfds and no signals to
  anyone but itself.

Most of it is applied once, to the zygote (`protect_zygote`), and inherited by every child: a fork
costs this machine about 10 us per page the child touches (copy on write in a VM), so the child's
own part (`enter`) is a handful of syscalls with arguments built in the zygote. Every step raises
`ConfinementError` when it fails; the caller must then run nothing of the user's.
"""

import ctypes
import os
import resource
import struct
import sys

__all__ = ['Confinement', 'ConfinementError']


class ConfinementError(Exception):
    """Confinement could not be set up or entered on this machine: user code must not run."""


# --- syscalls and constants (x86_64) ---------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

SYS_capset = 126
SYS_landlock_create_ruleset = 444
SYS_landlock_add_rule = 445
SYS_landlock_restrict_self = 446

PR_SET_PDEATHSIG = 1
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2

LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF = 1  # ABI 7: denials of hostile code do not flood the audit log

# Filesystem rights, by the ABI that introduced them.
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_ABI1 = (1 << 13) - 1  # execute … make_sym
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

NOBODY = 65534
CAP_DAC_READ_SEARCH = 2
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# The memory cap counts above the address space the child starts with (the zygote's interpreter).
MB = 1024 * 1024
# Enough for the interpreter, a few imports, asyncio's self-pipe and threads' files; a file-descriptor flood stops here.
MAX_OPEN_FILES = 64
# A template's cap is its own start plus a test's memory cap plus this (its code, its models, its
# children's pipes): its children start from its address space and each is capped below it.
TEMPLATE_MEMORY_HEADROOM_MB = 64


def _errno_text():
    number = ctypes.get_errno()
    return f'{os.strerror(number)} (errno {number})'


def _syscall(number, *args):
    result = _libc.syscall(number, *args)
    if result < 0:
        raise ConfinementError(f'syscall {number} failed: {_errno_text()}')
    return result


def _prctl(option, arg2=0, arg3=0, arg4=0, arg5=0):
    if _libc.prctl(option, arg2, arg3, arg4, arg5) != 0:
        raise ConfinementError(f'prctl({option}) failed: {_errno_text()}')


def set_parent_death_signal():
    """The child dies with the zygote (and the zygote with Node): none outlives the server."""
    _prctl(PR_SET_PDEATHSIG, 9)


# --- Landlock ------------------------------------------------------------------------------------------

def landlock_abi():
    """The Landlock ABI version of this kernel, 0 when Landlock is absent or disabled."""
    version = _libc.syscall(SYS_landlock_create_ruleset, None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(0, version)


def _handled_rights(abi):
    """Every right this ABI knows: each one not granted by a rule is denied."""
    fs = FS_ABI1
    if abi >= 2:
        fs |= FS_REFER
    if abi >= 3:
        fs |= FS_TRUNCATE
    if abi >= 5:
        fs |= FS_IOCTL_DEV
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    # struct landlock_ruleset_attr grew with the ABI; an older kernel refuses the longer struct.
    if abi >= 6:
        return struct.pack('=QQQ', fs, net, scoped)
    if abi >= 4:
        return struct.pack('=QQ', fs, net)
    return struct.pack('=Q', fs)


def _landlock_ruleset(abi, read_dirs, read_files):
    attr = _handled_rights(abi)
    ruleset_fd = _syscall(SYS_landlock_create_ruleset, ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    try:
        for path, rights in [(path, FS_READ_FILE | FS_READ_DIR) for path in read_dirs] + [(path, FS_READ_FILE) for path in read_files]:
            path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = struct.pack('=Qi', rights, path_fd)  # struct landlock_path_beneath_attr is packed
                _syscall(SYS_landlock_add_rule, ctypes.c_int(ruleset_fd), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.c_char_p(rule), ctypes.c_uint32(0))
            finally:
                os.close(path_fd)
    except BaseException:
        os.close(ruleset_fd)
        raise
    return ruleset_fd


# --- seccomp -------------------------------------------------------------------------------------------

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
EPERM = 1
ENOSYS = 38
AF_UNIX = 1
CLONE_THREAD = 0x00010000
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080

BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_JSET_K = 0x45
BPF_RET_K = 0x06
OFFSET_NR = 0
OFFSET_ARCH = 4


def _arg_low(index):
    return 16 + 8 * index  # the low 32 bits of args[index] (little endian); pid_t and int arguments live there


# Denied with EPERM whatever their arguments (x86_64 numbers).
DENIED_SYSCALLS = {
    'socket': 41, 'connect': 42, 'accept': 43, 'bind': 49, 'listen': 50, 'accept4': 288,
    'fork': 57, 'vfork': 58, 'execve': 59, 'execveat': 322,
    'tkill': 200, 'pidfd_getfd': 438,
    'ptrace': 101, 'process_vm_readv': 310, 'process_vm_writev': 311, 'kcmp': 312, 'process_madvise': 440,
    'mount': 165, 'umount2': 166, 'pivot_root': 155, 'chroot': 161, 'unshare': 272, 'setns': 308,
    'open_tree': 428, 'move_mount': 429, 'fsopen': 430, 'fsconfig': 431, 'fsmount': 432, 'fspick': 433,
    'mount_setattr': 442, 'open_tree_attr': 467, 'statmount': 457, 'listmount': 458,
    'bpf': 321, 'perf_event_open': 298, 'userfaultfd': 323,
    'keyctl': 250, 'add_key': 248, 'request_key': 249,
    'io_uring_setup': 425, 'io_uring_enter': 426, 'io_uring_register': 427,
    'open_by_handle_at': 304, 'name_to_handle_at': 303,
    'init_module': 175, 'finit_module': 313, 'delete_module': 176, 'kexec_load': 246, 'kexec_file_load': 320,
    'reboot': 169, 'swapon': 167, 'swapoff': 168, 'acct': 163, 'quotactl': 179, 'quotactl_fd': 443,
    'syslog': 103, 'iopl': 172, 'ioperm': 173, 'uselib': 134, 'vhangup': 153, 'lookup_dcookie': 212, 'nfsservctl': 180,
    'settimeofday': 164, 'clock_settime': 227, 'clock_adjtime': 305, 'adjtimex': 159, 'sethostname': 170, 'setdomainname': 171,
    # SysV IPC and POSIX message queues are shared with the host: no way into them.
    'shmget': 29, 'shmat': 30, 'shmctl': 31, 'shmdt': 67, 'semget': 64, 'semop': 65, 'semctl': 66, 'semtimedop': 220,
    'msgget': 68, 'msgsnd': 69, 'msgrcv': 70, 'msgctl': 71,
    'mq_open': 240, 'mq_unlink': 241, 'mq_timedsend': 242, 'mq_timedreceive': 243, 'mq_notify': 244, 'mq_getsetattr': 245,
    # Metadata changes Landlock does not cover.
    'chmod': 90, 'fchmod': 91, 'fchmodat': 268, 'fchmodat2': 452, 'chown': 92, 'fchown': 93, 'lchown': 94, 'fchownat': 260,
    'setxattr': 188, 'lsetxattr': 189, 'fsetxattr': 190, 'removexattr': 197, 'lremovexattr': 198, 'fremovexattr': 199,
    'setxattrat': 463, 'removexattrat': 466, 'file_setattr': 469,
    'utime': 132, 'utimes': 235, 'utimensat': 280, 'futimesat': 261,
    # Watching files, other processes' memory policies.
    'inotify_init': 253, 'inotify_init1': 294, 'fanotify_init': 300,
    'mbind': 237, 'set_mempolicy': 238, 'migrate_pages': 256, 'move_pages': 279,
    'ioprio_set': 251, 'lsm_set_self_attr': 460, 'memfd_secret': 447,
    # Leaving the zygote's process group (Node stops the whole group) or session.
    'setsid': 112, 'setpgid': 109,
}
# The zygote needs these to run and stop its children; a child may not.
CHILD_ONLY_DENIED = {'pidfd_open': 434, 'pidfd_send_signal': 424}
# Anything numbered from here on is newer than this filter: ENOSYS, as on an older kernel.
FIRST_UNKNOWN_SYSCALL = 470
SYS_clone = 56
SYS_clone3 = 435
SYS_kill = 62
SYS_tgkill = 234
SYS_rt_sigqueueinfo = 129
SYS_rt_tgsigqueueinfo = 297
SYS_socketpair = 53
SYS_prlimit64 = 302


def _insn(code, jt, jf, k):
    return struct.pack('=HBBI', code, jt, jf, k & 0xFFFFFFFF)


def _checked_architecture():
    """x86_64 only; the x32 ABI (a second syscall table the rules would miss) kills the process."""
    return [
        _insn(BPF_LD_W_ABS, 0, 0, OFFSET_ARCH),
        _insn(BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        _insn(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
        _insn(BPF_LD_W_ABS, 0, 0, OFFSET_NR),
        _insn(BPF_JGE_K, 0, 1, X32_SYSCALL_BIT),
        _insn(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
    ]


def _only_if(syscall, offset, allowed_values):
    """A self-contained block: `syscall` is allowed when the 32-bit argument at `offset` is one of `allowed_values`, else EPERM."""
    block = [_insn(BPF_LD_W_ABS, 0, 0, offset)]
    for index, value in enumerate(allowed_values):
        block.append(_insn(BPF_JEQ_K, len(allowed_values) - index, 0, value))
    block += [_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM), _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)]
    return [_insn(BPF_LD_W_ABS, 0, 0, OFFSET_NR), _insn(BPF_JEQ_K, 0, len(block), syscall)] + block


def _denied_or_allowed(numbers):
    """One comparison per syscall, all jumping to one EPERM; everything else is allowed."""
    numbers = sorted(set(numbers))
    if len(numbers) > 250:
        raise ConfinementError('the seccomp deny list outgrew the reach of a BPF jump')
    chain = [_insn(BPF_LD_W_ABS, 0, 0, OFFSET_NR)]
    chain += [_insn(BPF_JEQ_K, len(numbers) - index, 0, number) for index, number in enumerate(numbers)]
    return chain + [_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW), _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM)]


def zygote_seccomp_program():
    """
    What neither the zygote nor any child may do, installed once in the zygote and inherited by
    every child (so a child attaches only the short filter below: attaching costs time with length).
    """
    return b''.join(
        _checked_architecture()
        + [
            _insn(BPF_JGE_K, 0, 1, FIRST_UNKNOWN_SYSCALL),
            _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS),
            _insn(BPF_JEQ_K, 0, 1, SYS_clone3),  # its flags live in memory BPF cannot read: ENOSYS makes glibc use clone
            _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS),
        ]
        + _only_if(SYS_socketpair, _arg_low(0), [AF_UNIX])
        + _only_if(SYS_prlimit64, _arg_low(0), [0])
        + _denied_or_allowed(DENIED_SYSCALLS.values())
    )


class ChildSeccompProgram:
    """
    What the zygote needs and a child may not: processes (clone only for threads), pidfds, and
    signals to anyone but itself (glibc's raise() and abort() use tgkill(own pid, …)). Built once;
    each child writes its own pid at `pid_offsets` before it installs it.
    """

    PID_PLACEHOLDER = 0x7FFFFFFE

    def __init__(self):
        out = _checked_architecture()
        for syscall in (SYS_kill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo):
            out += _only_if(syscall, _arg_low(0), [self.PID_PLACEHOLDER])
        out += [
            _insn(BPF_LD_W_ABS, 0, 0, OFFSET_NR),
            _insn(BPF_JEQ_K, 0, 5, SYS_clone),
            _insn(BPF_LD_W_ABS, 0, 0, _arg_low(0)),
            _insn(BPF_JSET_K, 0, 2, CLONE_THREAD),
            _insn(BPF_JSET_K, 1, 0, CLONE_NAMESPACES),
            _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
            _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM),
        ]
        out += _denied_or_allowed(CHILD_ONLY_DENIED.values())
        self.template = b''.join(out)
        placeholder = struct.pack('=I', self.PID_PLACEHOLDER)
        self.pid_offsets = [offset for offset in range(4, len(self.template), 8) if self.template[offset:offset + 4] == placeholder]


class _SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]


class _PreparedFilter:
    """A seccomp program in memory of its own, with the prctl argument that installs it: nothing to build in a child."""

    def __init__(self, program):
        self.buffer = ctypes.create_string_buffer(program, len(program))
        self.fprog = _SockFprog(len(program) // 8, ctypes.addressof(self.buffer))
        self.address = ctypes.addressof(self.fprog)

    def install(self):
        if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, self.address, 0, 0) != 0:
            raise ConfinementError(f'the seccomp filter could not be installed: {_errno_text()}')


# --- uid -----------------------------------------------------------------------------------------------

def _world_can_read(path):
    """True when a user with no relation to the owner can reach and read `path` (search on every parent)."""
    current = os.path.abspath(path)
    try:
        if not os.stat(current).st_mode & 0o004:
            return False
        while True:
            parent = os.path.dirname(current)
            if parent == current:
                return True
            if not os.stat(parent).st_mode & 0o001:
                return False
            current = parent
    except OSError:
        return False


def _capset(effective, permitted):
    header = struct.pack('=Ii', LINUX_CAPABILITY_VERSION_3, 0)
    data = struct.pack('=III', effective, permitted, 0) + struct.pack('=III', 0, 0, 0)
    _syscall(SYS_capset, ctypes.c_char_p(header), ctypes.c_char_p(data))


def _drop_to_nobody(keep_read_search):
    """For the zygote, and so for every child."""
    os.setgroups([])
    if keep_read_search:
        _prctl(PR_SET_KEEPCAPS, 1)
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    if keep_read_search:
        # Only to reach an installation under a directory that others may not search (such as
        # /root/.pyenv): Landlock still limits every read to the paths granted.
        bit = 1 << CAP_DAC_READ_SEARCH
        _capset(bit, bit)
        _prctl(PR_SET_KEEPCAPS, 0)


# --- the whole ---------------------------------------------------------------------------------------

def _landlock_scope_ruleset(abi):
    """A ruleset that handles only the scopes: restricting to it puts a child in a domain of its own."""
    attr = struct.pack('=QQQ', 0, 0, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    return _syscall(SYS_landlock_create_ruleset, ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))


class Confinement:
    """Prepared once in the zygote, applied to it with `protect_zygote`, then `enter`ed by each child."""

    def __init__(self, read_dirs, read_files=()):
        machine = os.uname().machine
        if sys.platform != 'linux' or machine != 'x86_64':
            raise ConfinementError(f'confinement needs Linux on x86_64 (its seccomp filter is written for that); this is {sys.platform} on {machine}')
        self.abi = landlock_abi()
        if self.abi < 1:
            raise ConfinementError('the kernel has no Landlock (Linux 5.13 or later with landlock in the lsm= boot list): Python cannot be confined here')
        self.read_dirs = sorted({os.path.realpath(path) for path in read_dirs if os.path.isdir(path)})
        self.read_files = sorted({os.path.realpath(path) for path in read_files if os.path.isfile(path)})
        self.drops_uid = os.geteuid() == 0
        self.keeps_read_search = self.drops_uid and not all(_world_can_read(path) for path in self.read_dirs + self.read_files)
        self.restrict_flags = ctypes.c_uint32(LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF if self.abi >= 7 else 0)
        self.zygote_filter = _PreparedFilter(zygote_seccomp_program())
        self.child_program = ChildSeccompProgram()
        self.child_filter = _PreparedFilter(self.child_program.template)
        self.scope_ruleset_fd = _landlock_scope_ruleset(self.abi) if self.abi >= 6 else None
        self._scope_args = (ctypes.c_long(SYS_landlock_restrict_self), ctypes.c_int(self.scope_ruleset_fd or -1), self.restrict_flags)

    def protect_zygote(self):
        """
        Applies to the zygote whatever no child needs to differ in: every child inherits it. After
        this the zygote reads only the granted paths, writes no file, opens no socket, runs no program.
        """
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        ruleset_fd = _landlock_ruleset(self.abi, self.read_dirs, self.read_files)
        try:
            _syscall(SYS_landlock_restrict_self, ctypes.c_int(ruleset_fd), self.restrict_flags)
        finally:
            os.close(ruleset_fd)
        if self.drops_uid:
            _drop_to_nobody(self.keeps_read_search)
        self.zygote_filter.install()

    def layers(self):
        """What a child gets, for the zygote's start report."""
        return {
            'landlock_abi': self.abi,
            'landlock_network': self.abi >= 4,
            'landlock_scopes': self.abi >= 6,
            'seccomp': True,
            'uid': os.geteuid(),
            'keeps_cap_dac_read_search': self.keeps_read_search,
            'read_only': self.read_dirs + self.read_files,
        }

    def _enter_scopes(self):
        if self.scope_ruleset_fd is not None and _libc.syscall(*self._scope_args) != 0:
            raise ConfinementError(f'the Landlock scopes could not be entered: {_errno_text()}')

    def fds_to_keep(self):
        return () if self.scope_ruleset_fd is None else (self.scope_ruleset_fd,)

    def enter_template(self, memory_mb, base_address_space_bytes):
        """
        A template's own part (a process that compiles one block's code and forks a child per test;
        zygote.py), before it reads anything of the tenant's: a Landlock domain of its own (it
        cannot signal the zygote or another template; its children, in domains below it, cannot
        signal it), a memory cap with room for its children's (each child lowers it to its own),
        and death with the zygote. It keeps the zygote's seccomp filter: it forks, and it never runs
        the user's code (its children do, under the child filter).
        """
        set_parent_death_signal()
        cap = base_address_space_bytes + (memory_mb + TEMPLATE_MEMORY_HEADROOM_MB) * MB
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        self._enter_scopes()

    def enter(self, memory_mb, cpu_seconds, base_address_space_bytes):
        """A child's own part, before anything of the user's: limits, its own Landlock domain, its seccomp filter."""
        set_parent_death_signal()
        _, inherited_cap = resource.getrlimit(resource.RLIMIT_AS)
        cap = base_address_space_bytes + memory_mb * MB
        if inherited_cap != resource.RLIM_INFINITY:
            cap = min(cap, inherited_cap)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
        self._enter_scopes()
        if self.scope_ruleset_fd is not None:
            os.close(self.scope_ruleset_fd)
        for offset in self.child_program.pid_offsets:
            struct.pack_into('=I', self.child_filter.buffer, offset, os.getpid())
        self.child_filter.install()
        sys.dont_write_bytecode = True
