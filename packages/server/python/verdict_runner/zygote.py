"""The fork server of Python function blocks: one per Verdict process, started by Node on the first Python test.

    python3 -I -S zygote.py --parent-pid=<node pid> [--packages=<dir>[:<dir>…]]

Started with an empty environment in an empty directory. It loads the interpreter and a few cheap
modules once. For each block it is asked to run (one organization, one code version: Node numbers
them) it forks a *template* (template_main, Template): a process that confines itself, compiles the
block's code and builds its `models` once, and then forks one child per test of that block; the
child confines itself further (confine.py), runs the one test (run.py), answers through a pipe of
its own and exits. A test sees nothing a test before it did: each child starts from its template's
memory, in which no test has run (the template never runs the user's code, only compiles it).

This process never compiles, runs or parses anything a user wrote: it reads integers that Node
wrote, copies bytes, counts them and relays frames. A template only ever answers for its own
children, the zygote for its templates.

Framing (both ways length-prefixed, big-endian): a request carries JSON text that Node assembles
from stored text without serialising it again, so it may hold any byte, newlines included; a
length prefix lets each side read exactly one frame, with no scanning and no escaping of the
user's output a second time.
  Node -> zygote: u32 control length, u32 body length, control JSON (written by Node: integers
                  only), body (never parsed here).
                  control: {"id", "template", "template_bytes", "timeout_ms", "memory_mb",
                  "max_output_bytes"}: the body's first template_bytes bytes are the block's
                  definition ({"code", "input_schema", "output_schema"}; read only by a new
                  template), the rest the test ({"id", "source", "input_path", …});
                  or {"cancel": id}, or {"retire": template}.
  zygote -> template: the same frames, without the definition.
  template -> zygote -> Node: u32 payload length, u32 id, u8 kind, payload.
                  CHUNK: bytes the child wrote (its answer: a JSON header line, the output JSON, a NUL);
                  DONE: the child wrote its whole answer (the NUL, which JSON text never holds,
                  then end of file): sent before the child has finished exiting;
                  FAILED: the template's (or the zygote's) own answer {"reason", "message", "details"};
                  READY / UNAVAILABLE (id 0): the zygote's start report, once.
  Frames for Node are gathered while one round of events is handled and written together
  (Outbox): several answers per message.

Nothing of another tenant at fork time: a template's children are forked from a process that holds
only its own block's definition; a template is forked from the zygote with every buffer of other
templates' requests and answers zeroed in it first (forget_other_tenants). In a template, a test's
request is read straight into a buffer of its own and the child is forked as soon as the frame is
complete; the buffer is then zeroed, as is each buffer answers pass through. So a child that reads
its own memory (ctypes, gc) finds no other tenant's code, input or output, and no other test's.
"""

import sys

sys.dont_write_bytecode = True

import gc
import json
import os
import select
import signal
import struct
import time

PRELOADED = ('json', 're', 'math', 'datetime', 'decimal', 'collections', 'typing')
for _name in PRELOADED:
    __import__(_name)

RUNNER_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, RUNNER_ROOT)

from verdict_runner import run as runner  # noqa: E402
from verdict_runner.confine import Confinement, ConfinementError, set_parent_death_signal  # noqa: E402

CHUNK, DONE, FAILED, READY, UNAVAILABLE = 1, 2, 3, 4, 5
OUT_HEADER = struct.Struct('>IIB')
IN_HEADER = struct.Struct('>II')
# The answer's JSON header line (message, details, a traceback of user frames) may take this much beside the output.
ANSWER_HEADER_ALLOWANCE = 256 * 1024
MAX_CONTROL_BYTES = 4096
READ_SIZE = 64 * 1024
ZEROS = bytes(READ_SIZE)
SIGNAL_NAMES = {int(value): value.name for value in signal.Signals}
# How a child dies when it passes the memory cap without raising MemoryError (a C extension's
# failed malloc, a stack that cannot grow): these, with a peak near the cap, count as the cap.
MEMORY_DEATHS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGKILL}

_dumps = json.dumps  # bound before any child runs user code, which may replace json.dumps in its own copy


def wipe(buffer, length=None):
    """Zeroes the first `length` bytes of a bytearray without allocating a copy of them."""
    view = memoryview(buffer)
    end = len(buffer) if length is None else length
    for start in range(0, end, READ_SIZE):
        stop = min(end, start + READ_SIZE)
        view[start:stop] = ZEROS[: stop - start]


def write_all(fd, *parts):
    for part in parts:
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


class Outbox:
    """
    Frames for Node (the zygote's stdout, a template's pipe to the zygote), gathered while one
    round of events is handled and written with one write at its end: several answers travel in
    one message. A buffer of fixed size, zeroed after each write, so no answer stays in memory.
    """

    SIZE = 4 * READ_SIZE

    def __init__(self, fd):
        self.fd = fd
        self.buffer = bytearray(self.SIZE)
        self.used = 0

    def send(self, kind, request_id, payload=b''):
        size = OUT_HEADER.size + len(payload)
        if self.used + size > self.SIZE:
            self.flush()
        if size > self.SIZE:
            write_all(self.fd, OUT_HEADER.pack(len(payload), request_id, kind), payload)
            return
        OUT_HEADER.pack_into(self.buffer, self.used, len(payload), request_id, kind)
        self.buffer[self.used + OUT_HEADER.size:self.used + size] = payload
        self.used += size

    def send_frame(self, frame):
        """A whole frame as a template wrote it (header included), passed on as it is."""
        if self.used + len(frame) > self.SIZE:
            self.flush()
        if len(frame) > self.SIZE:
            write_all(self.fd, frame)
            return
        self.buffer[self.used:self.used + len(frame)] = frame
        self.used += len(frame)

    def flush(self):
        if self.used:
            used, self.used = self.used, 0
            try:
                write_all(self.fd, memoryview(self.buffer)[:used])
            finally:
                wipe(self.buffer, used)

    def forget(self):
        wipe(self.buffer)
        self.used = 0


OUTBOX = Outbox(1)


def send(kind, request_id, payload=b''):
    OUTBOX.send(kind, request_id, payload)


def send_json(kind, request_id, value):
    send(kind, request_id, _dumps(value, separators=(',', ':')).encode())


PAGE_SIZE = os.sysconf('SC_PAGE_SIZE')
_statm = os.open('/proc/self/statm', os.O_RDONLY | os.O_CLOEXEC)


def address_space_bytes():
    """This process's address space now: what a child starts with, below its memory cap."""
    return int(os.pread(_statm, 64, 0).split()[0]) * PAGE_SIZE


def resident_kb():
    return int(os.pread(_statm, 64, 0).split()[1]) * PAGE_SIZE // 1024


def close_all_but(keep):
    """Closes every file descriptor of this process but those in `keep` (ints)."""
    keep = sorted(keep)
    for low, high in zip(keep, keep[1:] + [1 << 20]):
        if high > low + 1:
            os.closerange(low + 1, high)


def release_free_heap():
    import ctypes  # loaded already, by confine.py

    ctypes.CDLL(None).malloc_trim(0)


# --- paths the children may read -------------------------------------------------------------------

def site_packages():
    import site  # with -S, importing site adds nothing to sys.path; it only answers where they are

    return [path for path in site.getsitepackages() if os.path.isdir(path)]


def loaded_library_dirs():
    """Directories of the shared libraries this interpreter has mapped: their neighbours (libffi, libcrypto …) load in children."""
    dirs = set()
    with open('/proc/self/maps') as maps:
        for line in maps:
            path = line.split(None, 5)[-1].strip() if line.count(' ') >= 5 else ''
            if path.startswith('/') and '.so' in os.path.basename(path):
                dirs.add(os.path.dirname(path))
    return dirs


def readable_paths(package_dirs):
    stdlib = [path for path in sys.path[1:] if os.path.exists(path)]
    dirs = set(path for path in stdlib if os.path.isdir(path)) | set(site_packages()) | set(package_dirs) | loaded_library_dirs()
    dirs.add(RUNNER_ROOT)
    if os.path.isdir('/usr/share/zoneinfo'):
        dirs.add('/usr/share/zoneinfo')
    files = [path for path in stdlib if os.path.isfile(path)] + [path for path in ('/etc/ld.so.cache',) if os.path.isfile(path)]
    return dirs, files


# --- one child -------------------------------------------------------------------------------------

class Child:
    __slots__ = ('id', 'pid', 'pidfd', 'out', 'deadline', 'limit', 'written', 'last_byte', 'killed', 'killed_at', 'status', 'rusage', 'eof', 'answered', 'control', 'forked_at')

    def __init__(self, request_id, pid, pidfd, out, control, forked_at):
        self.id = request_id
        self.pid = pid
        self.pidfd = pidfd
        self.out = out
        self.control = control
        self.forked_at = forked_at
        self.deadline = forked_at + control['timeout_ms'] / 1000
        self.limit = control['max_output_bytes'] + ANSWER_HEADER_ALLOWANCE
        self.written = 0
        self.last_byte = None
        self.answered = False
        self.killed = None
        self.killed_at = None
        self.status = None
        self.rusage = None
        self.eof = False


def child_main(body, answer_fd, control, confinement, devnull, template_pid, base_address_space, prepared):
    """Runs in the forked child of a template and never returns: it ends with os._exit, whatever happens."""
    try:
        try:
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            close_all_but({0, 1, 2, answer_fd, *confinement.fds_to_keep()})  # the template's own files (stdin, statm …) close here
            cpu_seconds = -(-control['timeout_ms'] // 1000) + 1
            confinement.enter(control['memory_mb'], cpu_seconds, base_address_space)
            if os.getppid() != template_pid:
                os._exit(0)  # the template died before the parent-death signal was set: nobody waits for this answer
        except BaseException as error:  # noqa: BLE001 - nothing of the user's may run unconfined
            write_answer(answer_fd, {'ok': False, 'reason': 'unavailable', 'message': f'Python could not be confined on this machine, so it does not run: {error}', 'details': {}})
            os.close(answer_fd)
            os._exit(0)
        try:
            request = json.loads(body)
            del body
            answer = runner.run_prepared(prepared, request)
        except SystemExit as exit_:
            answer = {'ok': False, 'reason': 'error', 'message': f'transform called exit({exit_.code!r}); return a value instead', 'details': {'exception_type': 'SystemExit'}}
        except BaseException as error:  # noqa: BLE001 - the runner's own failure is this test's answer
            answer = {'ok': False, 'reason': 'crashed', 'message': f'the Python runner failed: {type(error).__name__}: {error}', 'details': {}}
        write_answer(answer_fd, answer)
        os.close(answer_fd)  # end of file now: the zygote answers while this process is torn down
        os._exit(0)
    finally:
        os._exit(70)


def write_answer(fd, answer):
    """
    The answer as a JSON header line followed by the output JSON (not escaped into a string again),
    then a NUL: the zygote knows the answer is whole without reading it.
    """
    answer = dict(answer)
    output = answer.pop('output_json', None)
    try:
        output_bytes = b'' if output is None else output.encode('utf-8')
    except UnicodeEncodeError:
        answer = {'ok': False, 'reason': 'invalid_output', 'message': 'transform returned a string holding an unpaired surrogate, which JSON text cannot carry', 'details': {}}
        output_bytes = b''
    header = _dumps(answer, separators=(',', ':'), default=repr).encode('utf-8', 'backslashreplace')
    write_all(fd, header, b'\n', output_bytes, b'\0')


# --- the server ------------------------------------------------------------------------------------

class RequestReader:
    """Reads request frames from fd 0 (Node's for the zygote, the zygote's for a template) and hands each whole one to `on_request`."""

    def __init__(self):
        self.poll = select.epoll()
        self.head = bytearray(IN_HEADER.size)
        self.head_got = 0
        self.control = None
        self.body = None
        self.body_got = 0
        os.set_blocking(0, False)
        self.poll.register(0, select.EPOLLIN)

    def read_requests(self):
        """Reads whatever Node has written, never past the end of the frame being read; False at end of input."""
        while True:
            try:
                if self.control is None:
                    got = os.readv(0, [memoryview(self.head)[self.head_got:]])
                    if got == 0:
                        return False
                    self.head_got += got
                    if self.head_got < IN_HEADER.size:
                        continue
                    control_length, body_length = IN_HEADER.unpack(self.head)
                    if control_length > MAX_CONTROL_BYTES:
                        raise ValueError(f'a control of {control_length} bytes')
                    control = bytearray(control_length)
                    self.read_exactly(control)
                    self.control = json.loads(control)
                    self.body = bytearray(body_length)
                    self.body_got = 0
                if self.body_got < len(self.body):
                    got = os.readv(0, [memoryview(self.body)[self.body_got:]])
                    if got == 0:
                        return False
                    self.body_got += got
                    if self.body_got < len(self.body):
                        continue
                control, body = self.control, self.body
                self.control, self.body, self.head_got = None, None, 0
                self.on_request(control, body)
            except BlockingIOError:
                return True

    def read_exactly(self, buffer):
        """The control is tiny and written with its header in one piece: waiting for it briefly is harmless."""
        view = memoryview(buffer)
        while view:
            try:
                got = os.readv(0, [view])
            except BlockingIOError:
                select.select([0], [], [], 1)
                continue
            if got == 0:
                raise EOFError('end of input inside a frame')
            view = view[got:]


class Template(RequestReader):
    """
    The process that holds one block's prepared code (one organization, one code version): it
    reads that block's tests from the zygote and forks one child per test (child_main), which runs
    the test and exits, so no test sees another's state. It enforces each test's timeout and output
    size and answers for each child, as the zygote relays.
    """

    def __init__(self, confinement, template_pid, devnull, prepared):
        super().__init__()
        self.confinement = confinement
        self.pid = template_pid
        self.devnull = devnull
        self.prepared = prepared
        self.children = {}  # request id -> Child
        self.by_fd = {}  # pipe or pidfd -> Child
        self.chunk = bytearray(READ_SIZE)

    def serve(self):
        while True:
            events = self.poll.poll(self.wait_seconds())
            for fd, _ in events:
                if fd == 0:
                    if not self.read_requests():
                        return
                else:
                    child = self.by_fd.get(fd)
                    if child is not None:
                        self.on_child_event(child, fd)
            self.expire()
            OUTBOX.flush()

    def wait_seconds(self):
        pending = [child.deadline for child in self.children.values() if child.killed is None]
        return max(0.0, min(pending) - time.monotonic()) if pending else -1

    def on_request(self, control, body):
        try:
            if 'cancel' in control:
                self.cancel(control['cancel'])
            else:
                self.start(control, body)
        finally:
            wipe(body)

    def start(self, control, body):
        request_id = control['id']
        read_end = write_end = None
        try:
            read_end, write_end = os.pipe()
            base = address_space_bytes()
            forked_at = time.monotonic()
            pid = os.fork()
        except OSError as error:
            for fd in (read_end, write_end):
                if fd is not None:
                    os.close(fd)
            send_json(FAILED, request_id, {'reason': 'crashed', 'message': f'no Python process could be started for this test: {error}', 'details': {}})
            return
        if pid == 0:
            os.close(read_end)
            child_main(body, write_end, control, self.confinement, self.devnull, self.pid, base, self.prepared)
        os.close(write_end)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as error:  # out of file descriptors: this test fails, the zygote goes on
            os.close(read_end)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            send_json(FAILED, request_id, {'reason': 'crashed', 'message': f'the Python process for this test could not be watched: {error}', 'details': {}})
            return
        child = Child(request_id, pid, pidfd, read_end, control, forked_at)
        os.set_blocking(read_end, False)
        self.children[request_id] = child
        self.by_fd[read_end] = child
        self.by_fd[pidfd] = child
        self.poll.register(read_end, select.EPOLLIN)
        self.poll.register(pidfd, select.EPOLLIN)

    def cancel(self, request_id):
        child = self.children.get(request_id)
        if child is not None and not child.answered:
            self.kill(child, 'aborted')

    def kill(self, child, reason):
        if child.killed is None:
            child.killed = reason
            child.killed_at = time.monotonic()
        if child.status is None:
            try:
                signal.pidfd_send_signal(child.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def expire(self):
        now = time.monotonic()
        for child in list(self.children.values()):
            if child.killed is None and child.deadline <= now:
                self.kill(child, 'timeout')

    # children

    def on_child_event(self, child, fd):
        if fd == child.out:
            self.forward(child)
        elif child.status is None:
            pid, status, rusage = os.wait4(child.pid, os.WNOHANG)
            if pid == 0:
                return
            child.status, child.rusage = status, rusage
            self.poll.unregister(child.pidfd)
            del self.by_fd[child.pidfd]
            os.close(child.pidfd)
        if child.eof and child.status is not None:
            self.finish(child)

    def forward(self, child):
        """Passes on what the child wrote, then zeroes the buffer it went through."""
        while True:
            try:
                got = os.readv(child.out, [self.chunk])
            except BlockingIOError:
                return
            if got == 0:
                child.eof = True
                self.poll.unregister(child.out)
                del self.by_fd[child.out]
                os.close(child.out)
                if child.killed is None and child.last_byte == 0:
                    self.answer(child)
                return
            try:
                child.last_byte = self.chunk[got - 1]
                child.written += got
                if child.written > child.limit:
                    self.kill(child, 'output_too_large')
                elif child.killed != 'output_too_large':
                    send(CHUNK, child.id, memoryview(self.chunk)[:got])
            finally:
                wipe(self.chunk, got)

    def answer(self, child):
        """
        The child wrote its whole answer and closed it: Node has it now, and the child, which is
        exiting, is stopped in case it is not (its own code closed the answer and ran on).
        """
        child.answered = True
        send_json(DONE, child.id, {'elapsed_ms': round((time.monotonic() - child.forked_at) * 1000, 3)})
        self.kill(child, 'answered')

    def finish(self, child):
        del self.children[child.id]
        if child.answered:
            return
        status = child.status
        peak_kb = child.rusage.ru_maxrss
        elapsed_ms = round((time.monotonic() - child.forked_at) * 1000, 3)
        send_json(FAILED, child.id, self.failure(child, status, peak_kb, elapsed_ms))

    def failure(self, child, status, peak_kb, elapsed_ms):
        control = child.control
        seconds = control['timeout_ms'] / 1000
        facts = {'elapsed_ms': elapsed_ms, 'peak_rss_kb': peak_kb}
        if child.killed == 'timeout':
            return {'reason': 'timeout', 'message': f'transform did not finish within its timeout_seconds of {seconds:g} s; its Python process was stopped', 'details': {**facts, 'timeout_seconds': seconds}}
        if child.killed == 'aborted':
            stopped_ms = round((time.monotonic() - child.killed_at) * 1000, 3)
            return {'reason': 'aborted', 'message': 'cancelled while running; its Python process was stopped', 'details': {**facts, 'stopped_in_ms': stopped_ms}}
        if child.killed == 'output_too_large':
            limit = control['max_output_bytes']
            return {'reason': 'output_too_large', 'message': f"transform wrote more than {child.limit:,} bytes of answer; a block's output may be at most {limit:,} bytes (VERDICT_MAX_OUTPUT_BYTES)", 'details': {**facts, 'limit_bytes': limit}}
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            name = SIGNAL_NAMES.get(number, f'signal {number}')
            if number == signal.SIGXCPU:
                return {'reason': 'timeout', 'message': f'transform used more CPU time than its timeout_seconds of {seconds:g} s allow; its Python process was stopped', 'details': {**facts, 'timeout_seconds': seconds}}
            memory_mb = control['memory_mb']
            if number in MEMORY_DEATHS and peak_kb >= memory_mb * 1024 * 0.8:
                return {'reason': 'memory', 'message': f'transform went past the memory cap of {memory_mb} MB (VERDICT_PYTHON_MEMORY_MB) and its Python process died ({name})', 'details': {**facts, 'signal': name, 'memory_mb': memory_mb}}
            return {'reason': 'crashed', 'message': f'the Python process running transform died of {name} without answering', 'details': {**facts, 'signal': name}}
        code = os.WEXITSTATUS(status)
        return {'reason': 'crashed', 'message': f'the Python process running transform exited with status {code} without answering (os._exit?)', 'details': {**facts, 'exit_status': code}}

    def stop_children(self):
        for child in self.children.values():
            self.kill(child, 'aborted')


# --- the zygote: templates, and the requests it routes to them ---------------------------------------

TEMPLATE_FAILURE = "the Python process holding this block's compiled code stopped ({how}) while this test was in it; it is started again for the next test"
# The largest frame a template writes: a CHUNK of one read of a child's answer; its failures are far smaller.
MAX_TEMPLATE_FRAME = OUT_HEADER.size + READ_SIZE + MAX_CONTROL_BYTES


class TemplateProcess:
    """The zygote's side of one template: its pipes, the requests it holds, what it wrote that is not yet relayed."""

    __slots__ = ('number', 'pid', 'pidfd', 'requests', 'answers', 'outbox', 'writing', 'frames', 'filled', 'in_flight', 'status')

    def __init__(self, number, pid, pidfd, requests, answers):
        self.number = number
        self.pid = pid
        self.pidfd = pidfd
        self.requests = requests  # write end of the template's fd 0
        self.answers = answers  # read end of the template's fd 1 (None after end of file)
        self.outbox = []  # request frames not yet written in full (bytearrays, zeroed once written)
        self.writing = False  # the requests pipe was full: waiting for room (EPOLLOUT)
        self.frames = bytearray(2 * MAX_TEMPLATE_FRAME)  # what the template wrote, up to the last whole frame
        self.filled = 0
        self.in_flight = set()  # request ids sent and not yet answered
        self.status = None


class Router(RequestReader):
    """
    The zygote's loop. Node sends each test with its block's definition (code and schemas) and the
    number Node gave that (organization, code version): the first test of a number forks a template
    from this process (template_main), which confines itself before it reads the definition; every
    test goes to its template without the definition (read here and zeroed, never parsed). What a
    template writes is passed to Node frame by frame; a template that dies fails the tests it held
    and is forked again by the next test of its number. Node retires templates (`{"retire": n}`):
    its least recently used idle ones past a bound, or idle ones after a while.
    """

    def __init__(self, confinement, zygote_pid, devnull):
        super().__init__()
        self.confinement = confinement
        self.pid = zygote_pid
        self.devnull = devnull
        self.templates = {}  # number -> TemplateProcess
        self.by_fd = {}  # answers pipe, requests pipe or pidfd -> TemplateProcess
        self.holder = {}  # request id -> TemplateProcess

    def serve(self):
        while True:
            for fd, events in self.poll.poll():
                if fd == 0:
                    if not self.read_requests():
                        return
                    continue
                template = self.by_fd.get(fd)
                if template is None:
                    continue
                if fd == template.pidfd:
                    self.on_template_exit(template)
                elif fd == template.answers:
                    self.relay(template)
                elif fd == template.requests:
                    self.write_requests(template)
            OUTBOX.flush()

    def on_request(self, control, body):
        try:
            if 'cancel' in control:
                template = self.holder.get(control['cancel'])
                if template is not None:
                    self.queue(template, request_frame(control, b''))
            elif 'retire' in control:
                template = self.templates.get(control['retire'])
                if template is not None and template.status is None:
                    signal.pidfd_send_signal(template.pidfd, signal.SIGKILL)
            else:
                self.route(control, body)
        finally:
            wipe(body)

    def route(self, control, body):
        request_id = control['id']
        split = control['template_bytes']
        template = self.templates.get(control['template'])
        if template is None:
            try:
                template = self.fork_template(control, memoryview(body)[:split])
            except OSError as error:
                send_json(FAILED, request_id, {'reason': 'crashed', 'message': f'no Python process could be started for this block: {error}', 'details': {}})
                return
        test_control = {key: control[key] for key in ('id', 'timeout_ms', 'memory_mb', 'max_output_bytes')}
        template.in_flight.add(request_id)
        self.holder[request_id] = template
        self.queue(template, request_frame(test_control, memoryview(body)[split:]))

    def fork_template(self, control, definition):
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()
        base = address_space_bytes()
        pid = os.fork()
        if pid == 0:
            template_main(self, definition, request_read, answer_write, control['memory_mb'], base)
        for fd in (request_read, answer_write):
            os.close(fd)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            for fd in (request_write, answer_read):
                os.close(fd)
            raise
        template = TemplateProcess(control['template'], pid, pidfd, request_write, answer_read)
        for fd in (request_write, answer_read):
            os.set_blocking(fd, False)
        self.templates[template.number] = template
        for fd in (pidfd, answer_read):
            self.by_fd[fd] = template
            self.poll.register(fd, select.EPOLLIN)
        self.by_fd[request_write] = template
        return template

    def forget_other_tenants(self):
        """In a template just forked from here: what this process held of other templates' tests and answers, zeroed."""
        for template in self.templates.values():
            for frame in template.outbox:
                wipe(frame)
            wipe(template.frames)
        OUTBOX.forget()

    # requests to a template: never blocking the zygote (a template busy compiling reads later)

    def queue(self, template, frame):
        if template.status is not None:
            wipe(frame)
            return
        template.outbox.append(frame)
        if not template.writing:
            self.write_requests(template)

    def write_requests(self, template):
        while template.outbox:
            frame = template.outbox[0]
            try:
                written = os.write(template.requests, frame)
            except BlockingIOError:
                written = 0
            except OSError:  # the template is gone: its exit fails what it held
                for pending in template.outbox:
                    wipe(pending)
                template.outbox.clear()
                break
            if written < len(frame):
                wipe(frame, written)
                del frame[:written]
                if not template.writing:
                    template.writing = True
                    self.poll.register(template.requests, select.EPOLLOUT)
                return
            wipe(frame)
            template.outbox.pop(0)
        if template.writing:
            template.writing = False
            self.poll.unregister(template.requests)

    # what a template writes

    def relay(self, template):
        """Passes on each whole frame the template wrote; notes the tests it answered (DONE, FAILED)."""
        buffer = template.frames
        while template.answers is not None:
            try:
                got = os.readv(template.answers, [memoryview(buffer)[template.filled:]])
            except BlockingIOError:
                return
            if got == 0:
                self.poll.unregister(template.answers)
                del self.by_fd[template.answers]
                os.close(template.answers)
                template.answers = None
                return
            template.filled += got
            start = 0
            while template.filled - start >= OUT_HEADER.size:
                length, request_id, kind = OUT_HEADER.unpack_from(buffer, start)
                end = start + OUT_HEADER.size + length
                if end - start > MAX_TEMPLATE_FRAME:
                    signal.pidfd_send_signal(template.pidfd, signal.SIGKILL)  # not a frame a template writes
                    template.filled = start
                    break
                if end > template.filled:
                    break
                if kind in (DONE, FAILED) and request_id in template.in_flight:
                    template.in_flight.discard(request_id)
                    self.holder.pop(request_id, None)
                OUTBOX.send_frame(memoryview(buffer)[start:end])
                start = end
            rest = template.filled - start
            buffer[:rest] = buffer[start:template.filled]
            wipe(memoryview(buffer)[rest:], template.filled - rest)
            template.filled = rest

    def on_template_exit(self, template):
        _, status = os.waitpid(template.pid, os.WNOHANG)
        template.status = status
        if template.answers is not None:
            self.relay(template)  # what it wrote before it died
        how = f'killed by {SIGNAL_NAMES.get(os.WTERMSIG(status), os.WTERMSIG(status))}' if os.WIFSIGNALED(status) else f'exit status {os.WEXITSTATUS(status)}'
        for request_id in sorted(template.in_flight):
            self.holder.pop(request_id, None)
            send_json(FAILED, request_id, {'reason': 'crashed', 'message': TEMPLATE_FAILURE.format(how=how), 'details': {}})
        for fd in (template.pidfd, template.answers):
            if fd is not None:
                self.poll.unregister(fd)
                self.by_fd.pop(fd, None)
                os.close(fd)
        if template.writing:
            self.poll.unregister(template.requests)
        self.by_fd.pop(template.requests, None)
        os.close(template.requests)
        for frame in template.outbox:
            wipe(frame)
        wipe(template.frames)
        if self.templates.get(template.number) is template:
            del self.templates[template.number]

    def stop_children(self):
        for template in self.templates.values():
            if template.status is None:
                try:
                    signal.pidfd_send_signal(template.pidfd, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def request_frame(control, body):
    """A request frame as Node writes them, for a template: one bytearray, zeroed once written."""
    control_bytes = _dumps(control, separators=(',', ':')).encode()
    frame = bytearray(IN_HEADER.size + len(control_bytes) + len(body))
    IN_HEADER.pack_into(frame, 0, len(control_bytes), len(body))
    frame[IN_HEADER.size:IN_HEADER.size + len(control_bytes)] = control_bytes
    frame[IN_HEADER.size + len(control_bytes):] = body
    return frame


def template_main(router, definition, request_read, answer_write, memory_mb, base_address_space):
    """
    Runs in a template just forked from the zygote and never returns. Confined (its own Landlock
    domain, a memory cap, the zygote's seccomp filter) before it parses the definition, which it
    then only compiles and turns into models: the user's code runs in its children, never here.
    """
    try:
        os.dup2(request_read, 0)
        os.dup2(answer_write, 1)
        os.dup2(router.devnull, 2)
        router.poll.close()
        close_all_but({0, 1, 2, router.devnull, _statm, *router.confinement.fds_to_keep()})
        router.forget_other_tenants()
        router.confinement.enter_template(memory_mb, base_address_space)
        if os.getppid() != router.pid:
            os._exit(0)
        text = bytes(definition)
        wipe(definition.obj)  # the first test's request, its source included: no later test's child finds it
        prepared = runner.prepare(json.loads(text), build_everything=True)
        del text, definition
        router.templates.clear()
        router.holder.clear()
        gc.collect()
        gc.freeze()
        release_free_heap()  # fewer pages for each fork to map
        Template(router.confinement, os.getpid(), router.devnull, prepared).serve()
    finally:
        os._exit(70)


# --- start -------------------------------------------------------------------------------------------

def probe(confinement, zygote_pid):
    """Forks one child that enters the confinement and checks that it holds; None when it does, else why not."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            problems = []
            try:
                confinement.enter(64, 5, address_space_bytes())
            except BaseException as error:  # noqa: BLE001
                problems.append(str(error))
            else:
                problems += probe_denials(zygote_pid)
            os.write(write_end, ('; '.join(problems) or 'ok').encode()[:4000])
        finally:
            os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + 10
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], max(0, deadline - time.monotonic()))
        if not ready:
            break
        data = os.read(read_end, 4096)
        if not data:
            break
        chunks.append(data)
    os.close(read_end)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    text = b''.join(chunks).decode(errors='replace')
    if text == 'ok':
        return None
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) != signal.SIGKILL:
        return f'the confinement probe died of {SIGNAL_NAMES.get(os.WTERMSIG(status))}'
    return text or 'the confinement probe did not report'


def probe_denials(zygote_pid):
    """In the probe child: what must fail does, and the standard library still imports."""
    problems = []

    def must_fail(label, action):
        try:
            action()
        except OSError:
            return
        problems.append(f'{label} was allowed')

    try:
        import socket
    except BaseException as error:  # noqa: BLE001
        problems.append(f'the standard library cannot be imported: {error}')
        return problems
    must_fail('listing /', lambda: os.listdir('/'))
    must_fail('writing a file', lambda: os.open('probe-write', os.O_WRONLY | os.O_CREAT, 0o600))
    must_fail('opening a socket', lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    must_fail('signalling the zygote', lambda: os.kill(zygote_pid, 0))
    must_fail('forking', lambda: os.fork() or os._exit(0))
    return problems


def confine_zygote(package_dirs):
    """
    Everything that comes before serving: the packages on sys.path, the confinement built,
    applied to this process, and probed. Raises ConfinementError when Python cannot be confined here.
    """
    for path in package_dirs:
        if not os.path.isdir(path):
            raise ConfinementError(f'the package directory {path} (VERDICT_PYTHON_PACKAGES) does not exist')
    # One thread per numerical library: tests run side by side in processes, and each thread's
    # buffers would count against a child's memory cap.
    os.environ.update({'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'})
    sys.path[1:1] = package_dirs + [path for path in site_packages() if path not in sys.path]
    dirs, files = readable_paths(package_dirs)
    confinement = Confinement(dirs, files)
    confinement.protect_zygote()
    problem = probe(confinement, os.getpid())
    if problem:
        raise ConfinementError(f'confinement does not hold on this machine: {problem}')
    return confinement


def settle():
    """
    The last step before the first fork. The runner's own first run (its first compile(), first
    models) costs milliseconds every child would pay again: it happens once here, on the runner's
    fixed sample, never on user code. A fork copies the page tables of every dirty page and a
    child copies each page it writes: what compiling and loading left behind goes back to the
    system. Children inherit every object as it is: the collector never walks these in a child
    (which would copy every page of the heap), and the zygote allocates too little to need it.
    """
    getattr(runner, 'warm_up', lambda: None)()
    gc.collect()
    gc.disable()
    gc.freeze()
    release_free_heap()


def main():
    options = dict(arg[2:].split('=', 1) for arg in sys.argv[1:] if arg.startswith('--') and '=' in arg)
    parent_pid = int(options.get('parent-pid', '0'))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches Node, which decides; children die with us
    set_parent_death_signal()
    if parent_pid and os.getppid() != parent_pid:
        return
    started = time.perf_counter()
    devnull = os.open('/dev/null', os.O_RDWR)  # the children's stdin, stdout and stderr
    try:
        confinement = confine_zygote([path for path in options.get('packages', '').split(os.pathsep) if path])
    except ConfinementError as error:
        send_json(UNAVAILABLE, 0, {'message': str(error)})
        OUTBOX.flush()
        return
    zygote = Router(confinement, os.getpid(), devnull)
    settle()
    send_json(READY, 0, {
        'python': sys.version.split()[0],
        'executable': sys.executable,
        'preloaded': list(PRELOADED),
        'start_ms': round((time.perf_counter() - started) * 1000, 3),
        'rss_kb': resident_kb(),
        **confinement.layers(),
    })
    OUTBOX.flush()
    try:
        zygote.serve()
    finally:
        zygote.stop_children()


if __name__ == '__main__':
    main()
