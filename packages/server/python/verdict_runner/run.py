"""
`run_test(request) -> answer`: one function-block test, start to end, in this process: the
`models` module, the user's code in a fresh module, `transform(input)`, its output as JSON text.
It is `run_prepared(prepare(request), request)`: a template process (zygote.py) calls `prepare`
once for its code and schemas (compiling the code, building `models`; never running the code)
and forks a child per test that calls `run_prepared`. No confinement here (confine.py). Everything
the user's code gets is made anew by each `run_test`; a child of a template gets its own copy of
what `prepare` made, so two tests do not see each other's modules or classes.
"""

import json
import sys
import time
import types

from .models import Models, OutputTooDeep, UnrepresentableOutput, ValidationError, format_loc, output_json_value

USER_FILENAME = "<function block>"
USER_MODULE_NAME = "function_block"
MAX_JSON_DEPTH = 128  # MAX_JSON_DEPTH in @verdict/core: a block's output nests at most this deep
DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024
MESSAGE_CHARS = 2000
LOG_CHARS = 16 * 1024
TRACEBACK_FRAMES_KEPT = 20
SAME_FRAME_SHOWN = 3  # as Python's own tracebacks: a frame repeated more often is counted, not listed
CO_VARARGS = 0x04
CO_VARKEYWORDS = 0x08
EXPECTED_SIGNATURE = "def transform(input_data: Input) -> Output:"


class _Stop(Exception):
    """Ends the run with this answer."""

    def __init__(self, answer: dict) -> None:
        super().__init__(answer.get("message"))
        self.answer = answer


class Prepared:
    """What a test needs of its code and schemas, made without running anything the user wrote; or why it cannot run."""

    __slots__ = ("models", "compiled", "source_lines", "failure")

    def __init__(self, models: "Models | None", compiled: "types.CodeType | None", source_lines: list, failure: "dict | None") -> None:
        self.models = models
        self.compiled = compiled
        self.source_lines = source_lines
        self.failure = failure


def prepare(definition: dict, build_everything: bool = False) -> Prepared:
    """
    `definition`: {code, input_schema, output_schema}. A syntax error or a schema the runner cannot
    read is kept as the answer of every test. `build_everything`: make every model class now (a
    template, whose children would each make them again).
    """
    code = definition.get("code")
    source_lines = code.splitlines() if isinstance(code, str) else []
    try:
        models = Models(definition.get("input_schema"), definition.get("output_schema"))
        if build_everything:
            models.build_everything()
        compiled = _compiled(code)
    except _Stop as stop:
        return Prepared(None, None, source_lines, stop.answer)
    except MemoryError:
        return Prepared(None, None, source_lines, _memory_answer(definition, []))
    except Exception as error:  # a fault of this runner, not of the user's code
        return Prepared(None, None, source_lines, _runner_failure(error))
    return Prepared(models, compiled, source_lines, None)


def run_test(request: dict) -> dict:
    """
    The answer to one request: `{id, ok: true, output_json, duration_ms}`, or `{id, ok: false,
    reason, message, details, duration_ms}` with reason error, memory, invalid_output,
    output_too_large or output_too_deep; `logs` too when the code printed something.
    """
    started = time.perf_counter()
    return run_prepared(prepare(request), request, started)


def run_prepared(prepared: Prepared, request: dict, started: "float | None" = None) -> dict:
    """run_test's answer for a test (`{id, source, input_path, memory_mb, max_output_bytes}`) of prepared code."""
    started = time.perf_counter() if started is None else started
    logs = _CapturedOutput(LOG_CHARS)
    try:
        if prepared.failure is not None:
            raise _Stop(prepared.failure)
        body = _run(prepared, request, logs)
    except _Stop as stop:
        body = stop.answer
    except MemoryError:
        sys.modules.pop(USER_MODULE_NAME, None)  # lets go of the user's globals
        body = _memory_answer(request, [])
    except Exception as error:  # a fault of this runner, not of the user's code
        body = _runner_failure(error)
    answer = {"id": request.get("id"), **body}
    if logs.text():
        answer["logs"] = logs.text()
    answer["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return answer


def _runner_failure(error: Exception) -> dict:
    return _failure("error", f"The Python runner failed: {type(error).__name__}: {_text_of(error)}", {"exception_type": type(error).__name__, "line": None, "traceback": ""})


def _run(prepared: Prepared, request: dict, logs: "_CapturedOutput") -> dict:
    models, source_lines = prepared.models, prepared.source_lines
    namespace = _fresh_namespace(models.module)  # type: ignore[union-attr]
    with logs:
        transform = _defined_transform(prepared.compiled, namespace, source_lines, request)
        argument = _input_argument(models, _value_at(request.get("source"), request.get("input_path")))
        returned = _called(transform, argument, namespace, source_lines, request)
        output_json = _output_json(models, returned, _max_output_bytes(request))
    return {"ok": True, "output_json": output_json}


# A test like most: nested models in, a model out. See warm_up.
_WARM_UP_REQUEST = {
    "id": 0,
    "code": "from models import Input, Output\n\ndef transform(input_data: Input) -> Output:\n    total = sum(item.amount for item in input_data.items)\n    return Output(total=round(total, 2), ok=total > 0)\n",
    "source": {"items": [{"amount": 1.5}, {"amount": 2}]},
    "input_path": [],
    "input_schema": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]}}}, "required": ["items"]},
    "output_schema": {"type": "object", "properties": {"total": {"type": "number"}, "ok": {"type": "boolean"}}, "required": ["total", "ok"]},
}


def warm_up() -> None:
    """
    Runs a few small tests, for a process that forks children to run tests (the zygote): the first
    run_test of a process costs milliseconds (the first compile() most of it), later ones a few
    hundred microseconds, and children forked after this start warm. Leaves no test behind.
    """
    for _ in range(3):
        run_test(_WARM_UP_REQUEST)
    for name in ("models", USER_MODULE_NAME):
        sys.modules.pop(name, None)


# ---------------------------------------------------------------------------------------------
# The user's code


def _compiled(code: object) -> types.CodeType:
    if not isinstance(code, str) or not code.strip():
        raise _Stop(_failure("error", f"The function block has no code: write {EXPECTED_SIGNATURE}", _no_exception("SyntaxError")))
    try:
        return compile(code, USER_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise _Stop(_syntax_error_answer(error)) from None
    except ValueError as error:  # NUL characters in the source (a SyntaxError from 3.12 on)
        raise _Stop(_failure("error", f"SyntaxError: {_text_of(error)}", _no_exception("SyntaxError"))) from None


def _fresh_namespace(models_module: types.ModuleType) -> dict:
    """A new module for the user's code, registered (with `models`) so imports and pickling find both."""
    sys.modules["models"] = models_module
    module = types.ModuleType(USER_MODULE_NAME)
    sys.modules[USER_MODULE_NAME] = module
    return module.__dict__


def _defined_transform(compiled: types.CodeType, namespace: dict, source_lines: list, request: dict) -> object:
    try:
        exec(compiled, namespace)
    except MemoryError as error:
        raise _Stop(_memory_answer(request, _release(error, namespace))) from None
    except BaseException as error:
        raise _Stop(_user_error_answer(error, source_lines)) from None
    transform = namespace.get("transform")
    if transform is None:
        raise _Stop(_failure("error", f"The code defines no transform function: write {EXPECTED_SIGNATURE}", _no_exception("NameError")))
    if not callable(transform):
        message = f"transform is {_article(type(transform).__name__)} {type(transform).__name__}, not a function: write {EXPECTED_SIGNATURE}"
        raise _Stop(_failure("error", message, _no_exception("TypeError")))
    problem = _signature_problem(transform)
    if problem is not None:
        line = transform.__code__.co_firstlineno  # type: ignore[attr-defined]
        raise _Stop(_failure("error", f"{problem} (line {line})", {**_no_exception("TypeError"), "line": line}))
    return transform


def _signature_problem(transform: object) -> "str | None":
    """Why `transform(input)` cannot be called with the one argument, for plain functions (others are just called)."""
    if not isinstance(transform, types.FunctionType):
        return None
    code = transform.__code__
    positional = code.co_varnames[: code.co_argcount]
    keyword_only = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    takes_varargs = bool(code.co_flags & CO_VARARGS)
    defaults = transform.__defaults__ or ()
    keyword_defaults = transform.__kwdefaults__ or {}
    required_positional = len(positional) - len(defaults)
    required_keywords = [name for name in keyword_only if name not in keyword_defaults]
    if (positional or takes_varargs) and required_positional <= 1 and not required_keywords:
        return None
    return f"transform must take one argument, the input ({EXPECTED_SIGNATURE}); it is defined as transform({_parameters_text(transform)})"


def _parameters_text(function: types.FunctionType) -> str:
    code = function.__code__
    names = list(code.co_varnames[: code.co_argcount])
    first_default = len(names) - len(function.__defaults__ or ())
    parts = [name + ("=…" if index >= first_default else "") for index, name in enumerate(names)]
    after = code.co_argcount + code.co_kwonlyargcount
    if code.co_flags & CO_VARARGS:
        parts.append("*" + code.co_varnames[after])
        after += 1
    elif code.co_kwonlyargcount:
        parts.append("*")
    parts.extend(code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount])
    if code.co_flags & CO_VARKEYWORDS:
        parts.append("**" + code.co_varnames[after])
    return ", ".join(parts)


def _input_argument(models: Models, value: object) -> object:
    try:
        return models.input_value(value)
    except ValidationError as error:
        message = f"The test's input does not match the input schema: {error}"
        raise _Stop(_failure("error", message, {**_no_exception("ValidationError"), "path": _path_of(error)})) from None


def _called(transform: object, argument: object, namespace: dict, source_lines: list, request: dict) -> object:
    try:
        returned = transform(argument)  # type: ignore[operator]
        if isinstance(returned, types.CoroutineType):
            returned = _awaited(returned)
        return returned
    except MemoryError as error:
        raise _Stop(_memory_answer(request, _release(error, namespace))) from None
    except BaseException as error:
        raise _Stop(_user_error_answer(error, source_lines)) from None


def _awaited(coroutine: types.CoroutineType) -> object:
    """
    `async def transform`. Importing asyncio costs tens of milliseconds, so a coroutine that never
    waits on an event loop is run to its end here; one that does (asyncio.sleep, gather, …) or
    whose code uses asyncio runs under asyncio.run.
    """
    if "asyncio" in sys.modules:
        import asyncio

        return asyncio.run(coroutine)
    try:
        waiting_on = coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    import asyncio

    return asyncio.run(_resumed(coroutine, waiting_on))


async def _resumed(coroutine: types.CoroutineType, waiting_on: object) -> object:
    return await _resume_after(coroutine, waiting_on)


@types.coroutine
def _resume_after(coroutine: types.CoroutineType, waiting_on: object):  # type: ignore[no-untyped-def]
    """Hands what the coroutine first waited on to the event loop's task, then lets the coroutine go on under it."""
    yield waiting_on
    return (yield from coroutine)


# ---------------------------------------------------------------------------------------------
# The output


def _output_json(models: Models, returned: object, max_bytes: int) -> str:
    if returned is None and models.output_schema_given and not models.output_shape.allows_null:
        raise _Stop(_failure("invalid_output", "transform returned None, but output_schema expects a value: return Output(...) or a dict (did transform miss a return?)", {}))
    try:
        validated = models.validated_output(returned)
    except ValidationError as error:
        message = f"transform returned a value that does not match output_schema: {error}"
        raise _Stop(_failure("invalid_output", message, {"path": _path_of(error)})) from None
    try:
        value = output_json_value(validated, MAX_JSON_DEPTH)
    except UnrepresentableOutput as problem:
        raise _Stop(_failure("invalid_output", f"transform returned output that is not JSON-serialisable: {problem}", {"path": problem.where})) from None
    except OutputTooDeep:
        message = f"transform returned JSON nested more than {MAX_JSON_DEPTH} levels deep; a block's output may nest at most {MAX_JSON_DEPTH} levels of arrays and objects"
        raise _Stop(_failure("output_too_deep", message, {"limit_depth": MAX_JSON_DEPTH})) from None
    text = _json_text(value)
    size = len(text) if text.isascii() else len(text.encode("utf-8"))
    if size > max_bytes:
        message = f"transform returned {_sized(size)} of JSON; a block's output may be at most {_sized(max_bytes)} (VERDICT_MAX_OUTPUT_BYTES)"
        raise _Stop(_failure("output_too_large", message, {"output_bytes": size, "limit_bytes": max_bytes}))
    return text


def _json_text(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800") has no UTF-8 form: written as an escape, as JavaScript does.
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False, check_circular=False)
    return text


def _sized(size: int) -> str:
    """`4,194,305 bytes (4.0 MiB)`, as the JavaScript sandbox writes sizes."""
    exact = f"{size:,} bytes"
    if size < 1024:
        return exact
    if size >= 1024 * 1024:
        return f"{exact} ({size / (1024 * 1024):.1f} MiB)"
    return f"{exact} ({size / 1024:.1f} KiB)"


def _max_output_bytes(request: dict) -> int:
    limit = request.get("max_output_bytes")
    return limit if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_OUTPUT_BYTES


def _value_at(source: object, path: object) -> object:
    """The value at `path` (keys, or indexes of arrays) in the test's source; None when a key is missing."""
    value = source
    for key in path if isinstance(path, list) else ():
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, str) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


# ---------------------------------------------------------------------------------------------
# Failures


def _failure(reason: str, message: str, details: dict) -> dict:
    return {"ok": False, "reason": reason, "message": message, "details": details}


def _no_exception(exception_type: str) -> dict:
    """details of a failure found by the runner, that the user's code did not raise."""
    return {"exception_type": exception_type, "line": None, "traceback": ""}


def _user_error_answer(error: BaseException, source_lines: list) -> dict:
    frames = _user_frames(error)
    line = frames[-1][0] if frames else None
    name = type(error).__qualname__
    text = _text_of(error)
    message = f"{name}: {text}" if text else name
    traceback = "Traceback (most recent call last):\n" + _frames_text(frames, source_lines) + message + _notes_of(error)
    return _failure("error", message + (f" (line {line})" if line is not None else ""), {"exception_type": name, "line": line, "traceback": traceback})


def _syntax_error_answer(error: SyntaxError) -> dict:
    name = type(error).__qualname__
    line, column = error.lineno, error.offset
    text = f"{name}: {error.msg}"
    where = f"line {line}, column {column}" if column else f"line {line}"
    traceback = f'  File "{USER_FILENAME}", line {line}\n'
    if error.text:
        source = error.text.rstrip("\n")
        indent = len(source) - len(source.lstrip())
        traceback += f"    {source.strip()}\n"
        if column:
            traceback += "    " + " " * max(0, column - 1 - indent) + "^\n"
    details = {"exception_type": name, "line": line, "column": column, "traceback": traceback + text}
    return _failure("error", f"{text} ({where})", details)


def _memory_answer(request: dict, frames: list) -> dict:
    memory_mb = request.get("memory_mb")
    line = frames[-1][0] if frames else None
    limit = f"its memory limit of {memory_mb} MB" if isinstance(memory_mb, int) else "its memory limit"
    message = f"transform ran out of memory: it needed more than {limit}" + (f" (line {line})" if line is not None else "")
    return _failure("memory", message, {"exception_type": "MemoryError", "line": line, "traceback": "", "memory_mb": memory_mb})


def _release(error: BaseException, namespace: dict) -> list:
    """After a MemoryError: the user's frames, then everything the user's code holds let go of, so the answer can be made."""
    frames = _user_frames(error)
    error.__traceback__ = None
    namespace.clear()
    return frames


def _user_frames(error: BaseException) -> list:
    """(line, function) of each frame of the user's code in the traceback; the runner's and libraries' are left out."""
    frames = []
    traceback = error.__traceback__
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if code.co_filename == USER_FILENAME:
            frames.append((traceback.tb_lineno, code.co_name))
        traceback = traceback.tb_next
    return frames


def _frames_text(frames: list, source_lines: list) -> str:
    entries = _collapsed(frames, source_lines)
    if len(entries) > TRACEBACK_FRAMES_KEPT:
        half = TRACEBACK_FRAMES_KEPT // 2
        entries = entries[:half] + [f"  [… {len(entries) - 2 * half} more frames …]\n"] + entries[-half:]
    return "".join(entries)


def _collapsed(frames: list, source_lines: list) -> list:
    """Each frame as Python prints it; a frame repeated (recursion) is shown three times, then counted."""
    entries: list = []
    previous, count = None, 0
    for frame in frames + [None]:
        if frame == previous:
            count += 1
        else:
            if count > SAME_FRAME_SHOWN:
                entries.append(f"  [Previous line repeated {count - SAME_FRAME_SHOWN} more times]\n")
            previous, count = frame, 1
        if frame is not None and count <= SAME_FRAME_SHOWN:
            entries.append(_frame_text(frame, source_lines))
    return entries


def _frame_text(frame: tuple, source_lines: list) -> str:
    line, function = frame
    text = f'  File "{USER_FILENAME}", line {line}, in {function}\n'
    if isinstance(line, int) and 0 < line <= len(source_lines):
        text += f"    {source_lines[line - 1].strip()}\n"
    return text


def _text_of(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:
        text = f"(its message could not be read: str() raised {type(error).__name__})"
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def _notes_of(error: BaseException) -> str:
    notes = getattr(error, "__notes__", None)
    if not isinstance(notes, list):
        return ""
    return "".join(f"\n{note}" for note in notes if isinstance(note, str))[:MESSAGE_CHARS]


def _path_of(error: ValidationError) -> str:
    """`Output.items[0].price`: where the value that does not fit is."""
    return error.title + format_loc(error.loc)


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


class _CapturedOutput:
    """What the user's code prints (sys.stdout and sys.stderr while it runs), kept up to `limit` characters."""

    encoding = "utf-8"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list = []
        self.size = 0
        self.dropped = 0
        self.saved: tuple = ()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def text(self) -> str:
        text = "".join(self.parts)
        return text + f"\n[… {self.dropped:,} more characters not kept]" if self.dropped else text

    def __enter__(self) -> "_CapturedOutput":
        self.saved = (sys.stdout, sys.stderr)
        sys.stdout = sys.stderr = self  # type: ignore[assignment]
        return self

    def __exit__(self, *exc_info: object) -> None:
        sys.stdout, sys.stderr = self.saved
