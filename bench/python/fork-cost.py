"""What one test's child of a template costs, step by step, on this machine (run by bench/python/index.mjs).

    python3 -I -S bench/python/fork-cost.py [children] < definition.json

Reads the block's definition from stdin ({"code", "input_schema", "output_schema"}: bench/python/index.mjs
sends Retab's example and its schemas). Prepares this process as zygote.py prepares the zygote
(confinement applied: keep its output on a pipe; warm-up; frozen heap) and then a template (its
own confinement, the code compiled and the models built once, frozen heap), then forks `children`
children one after another. Each child enters its own confinement, runs the test through
run.py's run_prepared, writes its answer and exits; the parent reaps it. Prints medians, in
milliseconds, as one JSON line.
"""

import sys

sys.dont_write_bytecode = True

import json
import os
import resource
import statistics
import time

RUNNER_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'packages', 'server', 'python')
sys.path.insert(0, os.path.realpath(RUNNER_ROOT))

from verdict_runner import zygote  # noqa: E402 - loads what the zygote loads

SOURCE = {'type': 'manual', 'handle_inputs': {'input-json-0': {'type': 'json', 'data': {
    'invoice_id': 'INV-1', 'line_items': [{'description': 'paper', 'amount': 11}, {'description': 'ink', 'amount': 4.25}], 'tax_rate': 0.2, 'stated_total': 18.3}}}}


def main():
    children = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    definition = json.loads(sys.stdin.read())
    confinement = zygote.confine_zygote([])
    zygote.settle()
    confinement.enter_template(256, zygote.address_space_bytes())
    prepared = zygote.runner.prepare(definition, build_everything=True)
    zygote.gc.collect()
    zygote.gc.freeze()
    body = json.dumps({'id': 1, 'source': SOURCE, 'input_path': ['handle_inputs', 'input-json-0', 'data'], 'timeout_ms': 5000, 'memory_mb': 256, 'max_output_bytes': 4 << 20}).encode()
    steps = {'fork': [], 'confine': [], 'run': [], 'answer+exit+reap': [], 'total': [], 'page faults': []}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(children):
        read_end, write_end = os.pipe()
        base = zygote.address_space_bytes()
        forked = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                marks = [forked, time.perf_counter()]
                confinement.enter(256, 6, base)
                marks.append(time.perf_counter())
                answer = zygote.runner.run_prepared(prepared, json.loads(body.decode()))
                marks.append(time.perf_counter())
                zygote.write_answer(write_end, answer)
                os.write(write_end, b'\n' + json.dumps(marks + [resource.getrusage(resource.RUSAGE_SELF).ru_minflt]).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        data = b''
        while True:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            data += chunk
        os.close(read_end)
        os.waitpid(pid, 0)
        reaped = time.perf_counter()
        lines = data.split(b'\n')
        assert b'"is_valid":true' in lines[1], data
        start, running, confined, ran, faults = json.loads(lines[-1])
        steps['fork'].append(running - start)
        steps['confine'].append(confined - running)
        steps['run'].append(ran - confined)
        steps['answer+exit+reap'].append(reaped - ran)
        steps['total'].append(reaped - start)
        steps['page faults'].append(faults / 1000)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_ms = ((cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime) + (self_after.ru_utime - self_before.ru_utime) + (self_after.ru_stime - self_before.ru_stime)) / children * 1000
    report = {name: round(statistics.median(values) * 1000, 3) for name, values in steps.items()}
    report['cpu ms per child (zygote + child)'] = round(cpu_ms, 3)
    report['children'] = children
    report['template rss mb'] = round(zygote.resident_kb() / 1024, 1)
    print(json.dumps(report), flush=True)


main()
