// Summarises the .cpuprofile files `node --cpu-prof` writes (one per thread): where self time goes,
// by function and by component (a package of node_modules, Node's internals, Verdict's packages).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

function componentOf(url) {
  if (!url) return '(native / VM)';
  if (url.startsWith('node:')) return 'node internals';
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nodeModules) return nodeModules[1];
  const verdict = /packages\/([^/]+)\/dist\/(.+?)(?:\/[^/]+)?\.js$/.exec(url);
  if (verdict) return `@verdict/${verdict[1]} ${verdict[2].split('/')[0]}`;
  return url.split('/').slice(-2).join('/');
}

/** Self time in ms per node id, from the sample stream (robust to varying sampling intervals). */
function selfTimes(profile) {
  const times = new Map();
  profile.samples.forEach((nodeId, index) => times.set(nodeId, (times.get(nodeId) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000));
  return times;
}

function summariseThread(profile) {
  const times = selfTimes(profile);
  const byFunction = new Map();
  const byComponent = new Map();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const ms = times.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    total += ms;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const file = url ? url.replace(/^.*\/(node_modules|packages)\//, '$1/') : '';
    const key = `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const component = componentOf(url);
    byComponent.set(component, (byComponent.get(component) ?? 0) + ms);
  }
  return { total, idle, byFunction, byComponent };
}

function top(map, count) {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
}

/** Prints, for each thread's profile in `dir`, its busy time and the top self-time functions and components. */
export async function printCpuProfiles(dir, { functions = 15, components = 10 } = {}) {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).sort();
  for (const file of files) {
    const summary = summariseThread(JSON.parse(await readFile(join(dir, file), 'utf8')));
    const busy = summary.total - summary.idle;
    if (busy <= 0) continue;
    const share = (ms) => `${((100 * ms) / busy).toFixed(1).padStart(5)} %`;
    console.log(`  ${file}: ${(summary.total / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy (${((100 * busy) / summary.total).toFixed(0)} %)`);
    console.log('    self time by component:');
    for (const [name, ms] of top(summary.byComponent, components)) console.log(`      ${share(ms)}  ${name}`);
    console.log('    top functions by self time:');
    for (const [name, ms] of top(summary.byFunction, functions)) console.log(`      ${share(ms)}  ${name}`);
  }
}
