"""
Test driver of `verdict_runner.run.run_test`, without the zygote: reads one JSON request a line on
stdin, answers one JSON line on stdout. Every request runs in this one process (run_test must be
correct when called twice), except one with `"drive_in_child": true`, which runs in a forked child
whose address space is capped at its current size plus the request's memory_mb (how the
MemoryError answer is tested without the zygote's confinement).

`--repeat N` runs each request N times and adds `us_per_call` and `us_per_call_median`
(microseconds per run_test call) to its answer: `python3 -I -S drive_run.py --repeat 2000 < requests`.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from verdict_runner.run import run_test  # noqa: E402


def main() -> None:
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    answers = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.pop("drive_in_child", False):
            answer = _run_in_capped_child(request)
        else:
            answer = _run_repeatedly(request, repeat)
        answers.write(json.dumps(answer, ensure_ascii=True) + "\n")
        answers.flush()


def _run_repeatedly(request: dict, repeat: int) -> dict:
    """The answer of the last run; with repeat > 1, the mean and median microseconds of one run_test call."""
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = run_test(request)
        took.append(time.perf_counter() - started)
    if repeat > 1:
        answer["us_per_call"] = round(sum(took) / repeat * 1e6, 1)
        answer["us_per_call_median"] = round(sorted(took)[repeat // 2] * 1e6, 1)
    return answer


def _run_in_capped_child(request: dict) -> dict:
    import resource

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        limit = _address_space_bytes() + request["memory_mb"] * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        answer = json.dumps(run_test(request)).encode()
        os.write(write_end, answer)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        text = reader.read()
    os.waitpid(pid, 0)
    return json.loads(text) if text else {"id": request.get("id"), "ok": False, "reason": "crashed", "message": "the child wrote no answer"}


def _address_space_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
