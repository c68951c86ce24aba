// Throwaway PostgreSQL and Redis servers for the test run, on loopback, in temporary directories.
// Each starts only when its binaries exist here and the environment did not already provide one
// (VERDICT_TEST_DATABASE_URL, VERDICT_TEST_REDIS_URL). Set VERDICT_TEST_SERVICES=none to skip both.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function findBinary(name, extraDirs) {
  for (const dir of extraDirs) if (existsSync(join(dir, name))) return join(dir, name);
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const PG_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

async function startPostgres() {
  const initdb = findBinary('initdb', PG_DIRS);
  const pgCtl = findBinary('pg_ctl', PG_DIRS);
  if (!initdb || !pgCtl) return null;
  const dir = mkdtempSync(join(tmpdir(), 'verdict-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  // PostgreSQL refuses to run as root: run it as the `postgres` user when we are root.
  const asUser = (command) => (userInfo().uid === 0 ? ['su', ['postgres', '-s', '/bin/sh', '-c', command]] : ['sh', ['-c', command]]);
  const run = (command) => {
    const [program, args] = asUser(command);
    execFileSync(program, args, { stdio: 'ignore' });
  };
  run(`${initdb} -D ${dataDir} --auth=trust --username=postgres --no-sync >/dev/null`);
  run(
    `${pgCtl} -D ${dataDir} -l ${dir}/log -w -o "-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null`,
  );
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(`${pgCtl} -D ${dataDir} -m immediate stop >/dev/null`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

async function startRedis() {
  const redis = findBinary('redis-server', []);
  if (!redis) return null;
  const port = await freePort();
  const child = spawn(redis, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

export async function startTestServices() {
  const env = {};
  const started = [];
  if (process.env.VERDICT_TEST_SERVICES !== 'none') {
    if (!process.env.VERDICT_TEST_DATABASE_URL) {
      const postgres = await startPostgres().catch((error) => {
        console.error(`# PostgreSQL tests skipped: could not start a throwaway server (${error.message.split('\n')[0]})`);
        return null;
      });
      if (postgres) {
        env.VERDICT_TEST_DATABASE_URL = postgres.url;
        started.push(postgres);
      }
    }
    if (!process.env.VERDICT_TEST_REDIS_URL) {
      const redis = await startRedis().catch(() => null);
      if (redis) {
        env.VERDICT_TEST_REDIS_URL = redis.url;
        started.push(redis);
      }
    }
  }
  return {
    env,
    async stop() {
      for (const service of started) service.stop();
    },
  };
}
