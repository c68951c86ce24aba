"""
Verdict's runner of Python function blocks. `run.run_test` runs one test (the semantics: the
`models` module from `models.py`, the user's code, its output); `zygote.py` and `confine.py` fork
and confine the process each test runs in. Importing the package imports nothing else, so each
part loads only what it uses.
"""
