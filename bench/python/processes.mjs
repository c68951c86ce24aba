// The processes a Verdict server started (its Python zygote and the zygote's per-test children),
// read from /proc: Linux only; elsewhere the lists are empty and the figures say so.
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { residentMb } from '../throughput/harness.mjs';

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** The fields of /proc/<pid>/stat after `comm` (field 3 on); empty when the process is gone. */
async function statFields(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  const close = stat.lastIndexOf(')');
  return { name: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

/**
 * CPU seconds a process has used, in user and kernel mode, with those of its children it has
 * reaped (the zygote reaps every per-test child, so its figure covers them all).
 */
export async function cpuSeconds(pid) {
  const stat = await statFields(pid);
  if (!stat) return { own: 0, withReapedChildren: 0 };
  const [utime, stime, cutime, cstime] = stat.fields.slice(11, 15).map(Number);
  return { own: (utime + stime) / CLOCK_TICKS_PER_SECOND, withReapedChildren: (utime + stime + cutime + cstime) / CLOCK_TICKS_PER_SECOND };
}

/** `pid (comm) state ppid …`: comm may hold spaces and parentheses, so fields are split after the last ')'. */
async function parentOf(pid) {
  const stat = await statFields(pid);
  return stat && { pid, name: stat.name, ppid: Number(stat.fields[1]) };
}

/** Every live descendant of `rootPid` with its depth (1 = child) and resident memory in MB. */
export async function descendants(rootPid) {
  const entries = await readdir('/proc').catch(() => []);
  const processes = (await Promise.all(entries.filter((entry) => /^\d+$/.test(entry)).map((entry) => parentOf(Number(entry))))).filter(Boolean);
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
