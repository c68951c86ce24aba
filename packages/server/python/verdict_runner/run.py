"""STAND-IN for engineer py-models' run.py (issue 19): the lead replaces this file with theirs at merge.

It keeps the contract's name and shape (`run_test(request) -> answer`, /tmp/python-contract.md)
with the least semantics the sandbox's tests need: exec `code`, call `transform(input)` (awaiting
an async one), answer its return value as compact JSON. A `models` module with attribute access
over the JSON stands in for the generated Input/Output models.
"""

import json
import sys
import time
import types

FILENAME = '<function block>'
_dumps = json.dumps  # bound before user code runs: a transform that patches json.dumps does not change its own answer
MAX_DEPTH = 128


class _Model:
    """Attribute access over a JSON object, and keyword construction of an output."""

    def __init__(self, **fields):
        self.__dict__.update({key: _wrap(value) for key, value in fields.items()})

    def model_dump(self, mode='json'):
        return {key: _unwrap(value) for key, value in self.__dict__.items()}

    @classmethod
    def model_validate(cls, value):
        return cls(**value)


def _wrap(value):
    if isinstance(value, dict):
        return _Model(**value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _unwrap(value):
    if isinstance(value, _Model):
        return value.model_dump()
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


def _models_module():
    module = types.ModuleType('models')
    module.Input = type('Input', (_Model,), {})
    module.Output = type('Output', (_Model,), {})
    return module


def _value_at(source, path):
    value = source
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _depth(value, limit):
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return depth
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return 0


def _failure(request, reason, message, started, **details):
    return {'id': request.get('id'), 'ok': False, 'reason': reason, 'message': message, 'duration_ms': (time.perf_counter() - started) * 1000, 'details': details}


def _user_error(request, error, started):
    import traceback

    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == FILENAME]
    line = frames[-1].lineno if frames else getattr(error, 'lineno', None)
    text = ''.join(traceback.format_list(frames)) + ''.join(traceback.format_exception_only(type(error), error))
    return _failure(request, 'error', f'{type(error).__name__}: {error}', started, exception_type=type(error).__name__, line=line, traceback=text)


def run_test(request):
    started = time.perf_counter()
    sys.modules['models'] = models = _models_module()
    try:
        namespace = {'__name__': '__function_block__'}
        exec(compile(request['code'], FILENAME, 'exec'), namespace)
        transform = namespace.get('transform')
        if not callable(transform):
            return _failure(request, 'error', 'the code defines no transform(input) function', started, exception_type='NameError', line=None, traceback='')
        argument = _wrap(_value_at(request.get('source'), request.get('input_path') or []))
        if not isinstance(argument, _Model) and isinstance(argument, dict):
            argument = models.Input(**argument)
        result = transform(argument)
        if isinstance(result, types.CoroutineType):
            import asyncio  # only for an async transform: loading it doubles the cost of every fork

            result = asyncio.run(result)
        output = _unwrap(result)
    except MemoryError:
        return _failure(request, 'memory', f"transform ran out of memory: a Python function block may use {request.get('memory_mb')} MB (VERDICT_PYTHON_MEMORY_MB)", started)
    except Exception as error:  # noqa: BLE001 - the user's exception is the test's answer
        return _user_error(request, error, started)
    if _depth(output, MAX_DEPTH):
        return _failure(request, 'output_too_deep', f'transform returned JSON nested more than {MAX_DEPTH} levels deep', started)
    try:
        output_json = _dumps(output, allow_nan=False, separators=(',', ':'), ensure_ascii=False)
    except (TypeError, ValueError) as error:
        return _failure(request, 'invalid_output', f'transform returned a value that is not JSON: {error}', started)
    limit = request.get('max_output_bytes') or 0
    size = len(output_json.encode('utf-8', 'surrogatepass'))
    if limit and size > limit:
        return _failure(request, 'output_too_large', f"transform returned {size:,} bytes of JSON; a block's output may be at most {limit:,} bytes (VERDICT_MAX_OUTPUT_BYTES)", started, output_bytes=size, limit_bytes=limit)
    return {'id': request.get('id'), 'ok': True, 'output_json': output_json, 'duration_ms': (time.perf_counter() - started) * 1000}
