// CPU time of process trees, read from /proc (Linux): what a deployment pays per test, summed over
// every process that serves it. A process's own time (utime + stime, all its threads) plus what its
// children that exited already used (cutime + cstime: PostgreSQL's backends that closed).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const tick = (index) => Number(fields[index]);
    return { ppid: tick(1), ticks: tick(11) + tick(12) + tick(13) + tick(14) };
  } catch {
    return null; // exited meanwhile
  }
}

function cmdlineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function allPids() {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
}

/** CPU seconds used so far by each root and its descendants. */
export function cpuSeconds(roots) {
  const stats = new Map(allPids().flatMap((pid) => {
    const stat = statOf(pid);
    return stat ? [[pid, stat]] : [];
  }));
  const totals = {};
  for (const [name, pid] of Object.entries(roots)) {
    if (!pid) continue;
    let ticks = 0;
    for (const [candidate, stat] of stats) {
      for (let at = candidate, hops = 0; at > 1 && hops < 64; at = stats.get(at)?.ppid ?? 0, hops++) {
        if (at === pid) {
          ticks += stat.ticks;
          break;
        }
      }
    }
    totals[name] = (totals[name] ?? 0) + ticks / TICKS_PER_SECOND;
  }
  return totals;
}

/** The PostgreSQL postmaster and the redis-server listening on these ports (started by scripts/services.mjs). */
export function servicePids(postgresPort, redisPort) {
  let postgres = null;
  let redis = null;
  for (const pid of allPids()) {
    const args = cmdlineOf(pid);
    const line = args.join(' ');
    if (!postgres && /(^|\/)postgres$/.test(args[0] ?? '') && args.includes('-p') && args[args.indexOf('-p') + 1] === String(postgresPort)) postgres = pid;
    if (!redis && /redis-server/.test(args[0] ?? '') && (line.includes(`:${redisPort}`) || (args.includes('--port') && args[args.indexOf('--port') + 1] === String(redisPort)))) redis = pid;
  }
  return { postgres, redis };
}

/** CPU used by each root's tree while `work` ran. */
export async function measureCpu(roots, work) {
  const before = cpuSeconds(roots);
  const result = await work();
  const after = cpuSeconds(roots);
  const used = Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - (before[name] ?? 0)]));
  return { result, used, total: Object.values(used).reduce((sum, seconds) => sum + seconds, 0) };
}
