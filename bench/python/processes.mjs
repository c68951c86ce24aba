// The processes a Verdict server started (its Python zygote, the zygote's templates and their per-test children),
// read from /proc: Linux only; elsewhere the lists are empty and the figures say so.
import { readdir, readFile } from 'node:fs/promises';
import { parseProcStat, residentMb } from '../throughput/harness.mjs';

async function statOf(pid) {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return text && parseProcStat(text);
}

/** CPU seconds of a process (see parseProcStat); zero once it is gone. */
export async function cpuSeconds(pid) {
  return (await statOf(pid))?.cpuSeconds ?? { own: 0, withReapedChildren: 0 };
}

/**
 * CPU seconds of the Python runtime under `zygotePid`: the zygote with the templates it reaped,
 * and each live template with the test processes it reaped.
 */
export async function pythonCpuSeconds(zygotePid) {
  const templates = (await descendants(zygotePid)).filter((entry) => entry.depth === 1);
  const parts = await Promise.all([zygotePid, ...templates.map((entry) => entry.pid)].map(async (pid) => (await cpuSeconds(pid)).withReapedChildren));
  return parts.reduce((sum, seconds) => sum + seconds, 0);
}

/** Every live descendant of `rootPid` with its depth (1 = child) and resident memory in MB. */
export async function descendants(rootPid) {
  const entries = await readdir('/proc').catch(() => []);
  const pids = entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
  const processes = (await Promise.all(pids.map(async (pid) => ({ pid, stat: await statOf(pid) })))).filter((entry) => entry.stat).map(({ pid, stat }) => ({ pid, name: stat.name, ppid: stat.ppid }));
  const childrenOf = new Map();
  for (const entry of processes) childrenOf.set(entry.ppid, [...(childrenOf.get(entry.ppid) ?? []), entry]);
  const found = [];
  const walk = async (pid, depth) => {
    for (const child of childrenOf.get(pid) ?? []) {
      found.push({ ...child, depth, rssMb: await residentMb(child.pid) });
      await walk(child.pid, depth + 1);
    }
  };
  await walk(rootPid, 1);
  return found;
}

export const totalRssMb = (entries) => entries.reduce((sum, entry) => sum + entry.rssMb, 0);

/**
 * Samples the server's descendants every `everyMs` until `stop()`: the largest resident memory
 * seen of its direct children (the zygote), and of the zygote's children at one sample (how many,
 * their summed RSS, which counts the pages they share with the zygote once each).
 */
export function sampleDescendants(rootPid, everyMs = 100) {
  const peak = { directMb: 0, grandchildren: 0, grandchildrenMb: 0 };
  const sample = async () => {
    const found = await descendants(rootPid);
    const direct = found.filter((entry) => entry.depth === 1);
    const deeper = found.filter((entry) => entry.depth > 1);
    peak.directMb = Math.max(peak.directMb, totalRssMb(direct));
    peak.grandchildren = Math.max(peak.grandchildren, deeper.length);
    peak.grandchildrenMb = Math.max(peak.grandchildrenMb, totalRssMb(deeper));
  };
  let pending = sample();
  const timer = setInterval(() => (pending = pending.then(sample)), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      return peak;
    },
  };
}
