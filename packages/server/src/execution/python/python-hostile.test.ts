import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { otherOrganizationKey, whileAnotherTenantReads } from '../../testing/fixtures.js';
import { startTestApp, type TestApp } from '../../testing/harness.js';
import { ATTEMPT, probe, runPython, zygotePid } from './test-support.js';

const REPOSITORY = fileURLToPath(new URL('../../../../../', import.meta.url));
/** Put in this process's environment before the server starts: no child may see it. */
const SECRET = `verdict-secret-${randomBytes(8).toString('hex')}`;
process.env.VERDICT_HOSTILE_SECRET = SECRET;

const denied = (value: string | undefined) => typeof value === 'string' && value.startsWith('denied: ');

function assertAllDenied(report: Record<string, string>, except: string[] = []): void {
  const allowed = Object.entries(report).filter(([name, value]) => !except.includes(name) && !denied(value));
  assert.deepEqual(allowed, [], `allowed: ${JSON.stringify(allowed)}`);
}

/** A TCP server on loopback that counts the connections it is offered. */
async function countingServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, connections: () => connections };
}

function portOf(url: string | undefined): number | null {
  return url ? Number(new URL(url).port) || null : null;
}

describe('hostile Python is contained', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('sqlite');
  });
  after(() => app.close());

  test('while True: pass stops at timeout_seconds, named in the message; another tenant is served meanwhile', async () => {
    const { result, slowestGetMs } = await whileAnotherTenantReads(app, () =>
      runPython(app, 'def transform(input_data):\n    while True:\n        pass\n', [{ input: {}, condition: { kind: 'exists' } }], { timeoutSeconds: 1 }),
    );
    const [row] = result.rows;
    assert.equal(row.verdict, 'blocked');
    assert.equal(row.error.context.reason, 'timeout');
    assert.match(row.error.message, /timeout_seconds of 1 s/);
    assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
  });

  test('time.sleep past the timeout is stopped by the wall clock, not only by the CPU limit', async () => {
    const started = Date.now();
    const { rows } = await runPython(app, 'import time\ndef transform(input_data):\n    time.sleep(600)\n', [{ input: {}, condition: { kind: 'exists' } }], { timeoutSeconds: 1 });
    assert.equal(rows[0].error.context.reason, 'timeout');
    assert.ok(Date.now() - started < 10_000);
  });

  test('memory bombs are stopped at the cap, and the message names it', async () => {
    const code = `def transform(input_data):
    if input_data.kind == 'at once':
        return len(bytearray(10 ** 10))
    hoard = []
    while True:
        hoard.append(bytearray(8 * 1024 * 1024))
`;
    const { result, slowestGetMs } = await whileAnotherTenantReads(app, () =>
      runPython(app, code, [{ input: { kind: 'at once' }, condition: { kind: 'exists' } }, { input: { kind: 'gradually' }, condition: { kind: 'exists' } }]),
    );
    for (const row of result.rows) {
      assert.equal(row.verdict, 'blocked');
      assert.equal(row.error.context.reason, 'memory', JSON.stringify(row.error));
      assert.match(row.error.message, /256 MB/);
    }
    assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
  });

  test('no process can be started: fork, a fork bomb, subprocess, os.system, os.execv, posix_spawn, ctypes', async () => {
    const marker = join(tmpdir(), `verdict-hostile-${randomBytes(6).toString('hex')}`);
    const code = `${ATTEMPT}
import ctypes, subprocess

def forked():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return pid

def raw_fork():
    pid = ctypes.CDLL(None).syscall(57)
    if pid == 0:
        os._exit(0)
    if pid < 0:
        raise OSError(ctypes.get_errno(), 'fork refused')
    return pid

def status(value):
    if value != 0:
        raise OSError('exit status %r' % value)
    return value

def transform(input_data):
    touch = 'touch ' + input_data.marker
    return {
        'os.fork': attempt(forked),
        'fork bomb': attempt(lambda: [forked() for _ in range(1000)]),
        'syscall fork': attempt(raw_fork),
        'subprocess.run': attempt(lambda: subprocess.run(['/bin/sh', '-c', touch])),
        'os.system': attempt(lambda: status(os.system(touch))),
        'os.execv': attempt(lambda: os.execv('/bin/sh', ['sh', '-c', touch])),
        'os.posix_spawn': attempt(lambda: os.posix_spawn('/bin/sh', ['sh', '-c', touch], {})),
        'ctypes system': attempt(lambda: status(ctypes.CDLL(None).system(touch.encode()))),
    }
`;
    const report = await probe(app, code, { marker });
    assertAllDenied(report);
    assert.match(report['os.fork'], /Operation not permitted/);
    assert.equal(existsSync(marker), false, 'a command ran');
  });

  test("nothing of the host can be read: the data dir, the app's files, /proc, /etc/passwd", async () => {
    const dataFiles = readdirSync(app.config.dataDir).map((name) => join(app.config.dataDir, name));
    assert.ok(dataFiles.some((path) => path.endsWith('verdict.db')));
    const paths = [
      ...dataFiles,
      join(REPOSITORY, 'package.json'),
      join(REPOSITORY, 'packages/server/package.json'),
      join(REPOSITORY, 'packages/server/dist/config.js'),
      '/proc/self/environ',
      `/proc/${process.pid}/environ`,
      `/proc/${process.pid}/cmdline`,
      '/proc/1/environ',
      '/etc/passwd',
      '/etc/hostname',
    ];
    const code = `${ATTEMPT}
def read(path):
    with open(path, 'rb') as file:
        return file.read(64)

def transform(input_data):
    report = {'read ' + path: attempt(lambda path=path: read(path)) for path in input_data.paths}
    report['read zygote environ'] = attempt(lambda: read('/proc/%d/environ' % os.getppid()))
    report['read zygote memory'] = attempt(lambda: read('/proc/%d/mem' % os.getppid()))
    report['list /'] = attempt(lambda: os.listdir('/'))
    report['list data dir'] = attempt(lambda: os.listdir(input_data.data_dir))
    report['list cwd'] = attempt(lambda: os.listdir('.'))
    return report
`;
    const report = await probe(app, code, { paths, data_dir: app.config.dataDir });
    assertAllDenied(report);
    assert.match(report['read /etc/passwd'], /PermissionError/);
  });

  test('no file can be written: /tmp, the data dir, the working directory', async () => {
    const targets = [join(tmpdir(), `verdict-hostile-${randomBytes(6).toString('hex')}`), join(app.config.dataDir, 'hostile.txt')];
    const code = `${ATTEMPT}
def write(path):
    with open(path, 'w') as file:
        return file.write('written by a tenant')

def transform(input_data):
    report = {'write ' + path: attempt(lambda path=path: write(path)) for path in input_data.paths}
    report['write cwd'] = attempt(lambda: write('here.txt'))
    report['mkdir /tmp'] = attempt(lambda: os.mkdir(input_data.paths[0] + '.d'))
    return report
`;
    assertAllDenied(await probe(app, code, { paths: targets }));
    for (const path of targets) assert.equal(existsSync(path), false, `${path} was written`);
  });

  test('no connection leaves the sandbox: PostgreSQL, Redis and an HTTP server on localhost see nothing', async () => {
    const http = await countingServer();
    try {
      const ports = [http.port, portOf(process.env.VERDICT_TEST_DATABASE_URL), portOf(process.env.VERDICT_TEST_REDIS_URL)].filter((port): port is number => port !== null);
      const code = `${ATTEMPT}
import ctypes, socket, urllib.request

def transform(input_data):
    report = {}
    for port in input_data.ports:
        report['tcp %d' % port] = attempt(lambda port=port: socket.create_connection(('127.0.0.1', port), timeout=2))
        report['udp %d' % port] = attempt(lambda port=port: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', port)))
    report['http'] = attempt(lambda: urllib.request.urlopen('http://127.0.0.1:%d/' % input_data.http_port, timeout=2).read())
    report['unix socket'] = attempt(lambda: socket.socket(socket.AF_UNIX).connect('/var/run/postgresql/.s.PGSQL.5432'))
    libc = ctypes.CDLL(None, use_errno=True)
    def raw_socket():
        fd = libc.socket(2, 1, 0)
        if fd < 0:
            raise OSError(ctypes.get_errno(), 'socket refused')
        return fd
    report['ctypes socket'] = attempt(raw_socket)
    report['socketpair (asyncio needs it)'] = attempt(lambda: len(socket.socketpair()))
    return report
`;
      const report = await probe(app, code, { ports, http_port: http.port });
      assertAllDenied(report, ['socketpair (asyncio needs it)']);
      assert.match(report['socketpair (asyncio needs it)'], /^ALLOWED/);
      assert.ok(ports.length >= 1);
      assert.equal(http.connections(), 0, 'the HTTP server was reached');
    } finally {
      http.server.close();
    }
  });

  test("Verdict's environment and secrets are not in the sandbox", async () => {
    const code = 'import os\ndef transform(input_data):\n    return dict(os.environ)\n';
    const environment = await probe(app, code, {});
    assert.deepEqual(Object.keys(environment).filter((name) => /VERDICT|DATABASE|REDIS|SECRET|KEY|TOKEN|PATH|HOME/.test(name)), []);
    assert.ok(!JSON.stringify(environment).includes(SECRET));
    assert.ok(process.env.VERDICT_HOSTILE_SECRET === SECRET, 'the secret is in the server process');
  });

  test('the zygote, the server and other processes cannot be signalled, traced or killed', async () => {
    const before = zygotePid();
    assert.ok(before, 'a zygote runs');
    const code = `${ATTEMPT}
import ctypes, signal

def refused(result):
    if result != 0:
        raise OSError(ctypes.get_errno(), 'refused')
    return result

def transform(input_data):
    libc = ctypes.CDLL(None, use_errno=True)
    zygote = os.getppid()
    return {
        'kill zygote': attempt(lambda: os.kill(zygote, signal.SIGKILL)),
        'kill server': attempt(lambda: os.kill(input_data.server_pid, signal.SIGKILL)),
        'kill init': attempt(lambda: os.kill(1, signal.SIGKILL)),
        'kill own group': attempt(lambda: os.kill(0, signal.SIGKILL)),
        'kill everyone': attempt(lambda: os.kill(-1, signal.SIGKILL)),
        'killpg zygote': attempt(lambda: os.killpg(os.getpgid(0), signal.SIGKILL)),
        'ctypes kill zygote': attempt(lambda: refused(libc.kill(zygote, 9))),
        'ctypes tgkill zygote': attempt(lambda: refused(libc.syscall(234, zygote, zygote, 9))),
        'pidfd zygote': attempt(lambda: os.pidfd_open(zygote)),
        'ptrace zygote': attempt(lambda: refused(libc.ptrace(16, zygote, 0, 0))),
        'setsid': attempt(os.setsid),
    }
`;
    const report = await probe(app, code, { server_pid: process.pid });
    assertAllDenied(report);
    assert.equal(zygotePid(), before, 'the same zygote still runs');
    const next = await probe(app, 'def transform(input_data):\n    return {"ok": True}\n', {});
    assert.deepEqual(next, { ok: true });
    assert.equal(zygotePid(), before);
  });

  test("another tenant's code, input and output are nowhere in a child's memory (gc, or raw memory through ctypes)", async () => {
    const secretIn = `IN${randomBytes(12).toString('hex')}`;
    const control = `CTL${randomBytes(12).toString('hex')}`;
    // Organization A's test: its input holds one secret, its output another.
    const ownerCode = 'def transform(input_data):\n    return {"echo": input_data.secret[::-1]}\n';
    const owner = await runPython(app, ownerCode, [{ input: { secret: secretIn, pad: 'x'.repeat(2000) }, condition: { kind: 'exists' } }]);
    assert.equal(owner.rows[0].verdict, 'passed');
    assert.equal(owner.rows[0].outputs['output-json-0'].echo, secretIn.split('').reverse().join(''));
    // Organization B looks for them; each needle is made at run time, as the control is, which no test ever sent.
    const snoop = `import ctypes, fcntl, gc, os

libc = ctypes.CDLL(None)
libc.sbrk.restype = ctypes.c_void_p

def readable_memory():
    """Pages near the malloc heap and near Python's object arenas, read through a pipe: write() refuses an unmapped page instead of crashing."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETFL, os.O_NONBLOCK)
    heap_end = libc.sbrk(0) & ~0xFFF
    arenas = id(object()) & ~0xFFF
    pages = []
    for start, end in ((heap_end - (64 << 20), heap_end), (arenas - (32 << 20), arenas + (32 << 20))):
        for page in range(start, end, 4096):
            if libc.write(write_end, ctypes.c_void_p(page), 4096) == 4096:
                pages.append(os.read(read_end, 4096))
    os.close(read_end)
    os.close(write_end)
    return b''.join(pages)

def transform(input_data):
    gc.unfreeze()  # the zygote's objects, frozen before it forks, become visible to get_objects
    # Strings and buffers are not tracked by the collector: they are found as what its objects refer to.
    heap_objects = [value for holder in gc.get_objects() for value in gc.get_referents(holder) if isinstance(value, (str, bytes, bytearray))]
    memory = readable_memory()
    report = {}
    for name, parts in input_data.needles:
        needle = ''.join(parts)
        in_objects = sum(1 for value in heap_objects if needle in (value if isinstance(value, str) else bytes(value).decode('latin-1')))
        report[name] = [in_objects, memory.count(needle.encode())]
    report['pages read'] = len(memory) // 4096
    return report
`;
    const split = (text: string) => [text.slice(0, 5), text.slice(5)];
    const reversedOut = secretIn.split('').reverse().join('');
    const needles = [
      ['input', split(secretIn)],
      ['output', split(reversedOut)],
      ['control', split(control)],
    ];
    const otherKey = await otherOrganizationKey(app, 'snooper');
    const snooper = { ...app, request: (method: string, url: string, body?: unknown) => app.request(method, url, body, { 'api-key': otherKey }) } as TestApp;
    const seen = await probe(snooper, snoop, { needles }, 60);
    assert.ok(Number(seen['pages read']) > 1000, `the scan read ${seen['pages read']} pages`);
    assert.deepEqual(seen.input, seen.control, `organization A's input: ${JSON.stringify(seen)}`);
    assert.deepEqual(seen.output, seen.control, `organization A's output: ${JSON.stringify(seen)}`);
  });

  test('every test starts fresh: globals, sys.modules, patched json.dumps and math.pi, random seeds and the decimal context never reach another test', async () => {
    const code = `import decimal, json, math, random, sys

counter = 0

def transform(input_data):
    global counter
    pristine = {
        'counter': counter,
        'sys.modules': 'tenant_module' in sys.modules,
        'json.dumps': json.dumps([1]),
        'math.pi': math.pi,
        'random': random.random() != random.Random(42).random(),
        'decimal': decimal.getcontext().prec,
        'builtins': hasattr(__builtins__, 'tenant_leftover') if not isinstance(__builtins__, dict) else 'tenant_leftover' in __builtins__,
    }
    counter += 1
    sys.modules['tenant_module'] = object()
    original_dumps = json.dumps  # patched for [1] only: the runner's own json.dumps of this answer still works
    json.dumps = lambda value, *args, **kwargs: 'patched' if value == [1] else original_dumps(value, *args, **kwargs)
    math.pi = 3
    random.seed(42)
    decimal.getcontext().prec = 3
    import builtins
    builtins.tenant_leftover = True
    return pristine
`;
    const { rows } = await runPython(app, code, Array.from({ length: 12 }, (_, n) => ({ input: { n }, condition: { kind: 'exists' } })));
    for (const row of rows) {
      assert.equal(row.verdict, 'passed', JSON.stringify(row.error));
      assert.deepEqual(row.outputs['output-json-0'], {
        counter: 0,
        'sys.modules': false,
        'json.dumps': '[1]',
        'math.pi': Math.PI,
        random: true,
        decimal: 28,
        builtins: false,
      });
    }
  });
});
