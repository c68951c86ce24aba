"""One full scenario through Retab's official Python SDK, against a running Verdict.

    <venv>/bin/python scenario.py --base-url http://127.0.0.1:PORT --api-key KEY

Run it with the interpreter of a virtualenv where setup.mjs installed one SDK commit; the
generation is told by the SDK itself (`client.workflows.evals` exists from 2026-06-19 on). Every
call is one JSON line on stdout: {"call", "route", "ok", "error"}. A call passes when the SDK
returns without raising, which means its pydantic models accepted the response (the SDK calls
`model_validate` on every response and every list item). The raw JSON of each answer is kept
aside so that a response the models reject does not stop the scenario: later calls use its ids.
"""

import argparse
import hashlib
import json
import sys
import time
import urllib.request

import pydantic
import retab
from retab import NotFoundError, Retab
from retab.exceptions import APIError

PROJECT_ID = "proj_default"
TERMINAL = {"completed", "error", "cancelled"}

SUM_CODE = "function transform(input) { return { total: input.a + input.b }; }"
SLOW_CODE = "function transform(input) { const end = Date.now() + input.delay_ms; while (Date.now() < end) {} return { total: 0 }; }"
TOTAL_SCHEMA = {"type": "object", "properties": {"total": {"type": "number"}}, "required": ["total"]}
INPUT_SCHEMA = {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}, "delay_ms": {"type": "number"}}}
LETTER = b"Dear customer, the total of invoice 42 is 1234.56 EUR.\n"


def describe(error):
    """The failure as the report shows it: pydantic's own errors (path, type, message), or the HTTP answer."""
    if isinstance(error, pydantic.ValidationError):
        issues = [f"{'.'.join(str(p) for p in e['loc'])}: {e['type']} ({e['msg']})" for e in error.errors()[:12]]
        more = f"; … {error.error_count() - 12} more" if error.error_count() > 12 else ""
        return f"{error.title} rejected the response: " + "; ".join(issues) + more
    if isinstance(error, APIError):
        return f"{type(error).__name__} HTTP {error.status_code}: {(error.body or error.message)[:300]}"
    return f"{type(error).__name__}: {error}"[:400]


class Scenario:
    def __init__(self, base_url, api_key):
        self.client = Retab(api_key=api_key, base_url=base_url, max_retries=0)
        self.new = hasattr(self.client.workflows, "evals")
        self.name = "evals" if self.new else "tests"
        self.tests = self.client.workflows.evals if self.new else self.client.workflows.tests
        self.last_raw = None
        sdk_request = self.client._prepared_request

        def remember(request):
            self.last_raw = sdk_request(request)
            return self.last_raw

        self.client._prepared_request = remember

    def call(self, name, route, action, expect=None, needs=(), verify=None):
        """Runs one SDK call and records it; returns the raw JSON answer (or None when there was none).

        `needs` holds (value, what gave it) pairs: a call whose ids an earlier call failed to give is
        reported as not reached rather than sent with a missing id.
        """
        missing = next((what for value, what in needs if not value), None)
        if missing:
            return self.skip(name, route, f"{missing} gave no id")
        self.last_raw = None
        try:
            action()
            ok, error = (expect is None), (None if expect is None else f"expected {expect.__name__}, the call succeeded")
        except Exception as raised:  # noqa: BLE001 — every failure is a row of the report
            if expect is not None and isinstance(raised, expect):
                ok, error = True, None
            else:
                ok, error = False, describe(raised)
        if ok and verify is not None and self.last_raw is not None:
            error = verify(self.last_raw)
            ok = error is None
        print(json.dumps({"call": name, "route": route, "ok": ok, "error": error}), flush=True)
        return self.last_raw

    def skip(self, name, route, missing):
        print(json.dumps({"call": name, "route": route, "ok": False, "error": f"not reached: {missing}"}), flush=True)

    def wait(self, run_id, route, started_by, runs=None):
        """Polls runs.get (of the tests' runs unless told) until the run is terminal; one row, failing on the first answer the models reject."""
        if not run_id:
            return self.skip("runs.get (polled until terminal)", route, f"{started_by} gave no id")
        runs = runs or self.tests.runs
        first_error, raw = None, None
        for _ in range(300):
            self.last_raw = None
            try:
                runs.get(run_id)
            except Exception as raised:  # noqa: BLE001
                first_error = first_error or describe(raised)
            raw = self.last_raw
            if raw is None or raw.get("lifecycle", {}).get("status") in TERMINAL:
                break
            time.sleep(0.2)
        print(json.dumps({"call": "runs.get (polled until terminal)", "route": route, "ok": first_error is None, "error": first_error}), flush=True)
        return raw


def run(base_url, api_key):
    s = Scenario(base_url, api_key)
    c, t, n = s.client, s.tests, s.name
    wfs = c.workflows

    workflow = s.call("workflows.create", "POST /v1/workflows", lambda: wfs.create(PROJECT_ID, name="SDK conformance") if s.new else wfs.create(name="SDK conformance"))
    if not workflow:
        return s.skip("everything else", "-", "workflows.create")
    wf = workflow["id"]
    s.call("workflows.get", "GET /v1/workflows/{id}", lambda: wfs.get(wf))
    s.call("workflows.list", "GET /v1/workflows", lambda: wfs.list(limit=5))
    s.call("workflows.update", "PATCH /v1/workflows/{id}", lambda: wfs.update(wf, description="Official SDK against Verdict"))

    def block(label, type, config):
        return s.call(f"blocks.create ({type})", "POST /v1/workflows/blocks", lambda: c.workflows.blocks.create(wf, type, label=label, config=config)) or {}

    start = block("Input", "start_json", {"json_schema": INPUT_SCHEMA})
    adder = block("Sum", "function", {"language": "javascript", "code": SUM_CODE, "output_schema": TOTAL_SCHEMA})
    slow = block("Slow", "function", {"language": "javascript", "code": SLOW_CODE, "output_schema": TOTAL_SCHEMA, "timeout_seconds": 60})
    document = block("Document", "start_document", {})
    extract = block("Extract", "extract", {"json_schema": TOTAL_SCHEMA})
    s.call("blocks.list", "GET /v1/workflows/blocks", lambda: c.workflows.blocks.list(wf))
    s.call("blocks.get", "GET /v1/workflows/blocks/{id}", lambda: c.workflows.blocks.get(adder.get("id"), workflow_id=wf), needs=[(adder.get("id"), "blocks.create (function)")])
    s.call("blocks.update", "PATCH /v1/workflows/blocks/{id}", lambda: c.workflows.blocks.update(adder.get("id"), workflow_id=wf, label="Sum of a and b"), needs=[(adder.get("id"), "blocks.create (function)")])

    edge = s.call("edges.create (json)", "POST /v1/workflows/edges", lambda: c.workflows.edges.create(wf, start.get("id"), adder.get("id"), source_handle="output-json-0", target_handle="input-json-0"), needs=[(start.get("id"), "blocks.create (start_json)"), (adder.get("id"), "blocks.create (function)")]) or {}
    file_edge = s.call("edges.create (file)", "POST /v1/workflows/edges", lambda: c.workflows.edges.create(wf, document.get("id"), extract.get("id"), source_handle="output-file-0", target_handle="input-file-document"), needs=[(document.get("id"), "blocks.create (start_document)"), (extract.get("id"), "blocks.create (extract)")]) or {}
    s.call("edges.list", "GET /v1/workflows/edges", lambda: c.workflows.edges.list(wf))
    s.call("edges.get", "GET /v1/workflows/edges/{id}", lambda: c.workflows.edges.get(edge.get("id")), needs=[(edge.get("id"), "edges.create (json)")])

    # Retab's upload flow: reserve, PUT the bytes where the answer says, complete.
    sha = hashlib.sha256(LETTER).hexdigest()
    upload = s.call("files.create_upload", "POST /v1/files/upload", lambda: c.files.create_upload("letter.txt", len(LETTER), content_type="text/plain", sha256=sha)) or {}
    file_id = upload.get("file_id") or upload.get("fileId")
    upload_url = upload.get("upload_url") or upload.get("uploadUrl")
    mime = None
    if file_id and upload_url:
        headers = {"Content-Type": "text/plain", **(upload.get("upload_headers") or upload.get("uploadHeaders") or {})}
        put = urllib.request.Request(upload_url, data=LETTER, method=upload.get("upload_method") or upload.get("uploadMethod") or "PUT", headers=headers)
        try:
            with urllib.request.urlopen(put, timeout=30) as answer:
                print(json.dumps({"call": "PUT upload_url (bytes)", "route": f"PUT {upload_url.split('?')[0]}", "ok": 200 <= answer.status < 300, "error": None}), flush=True)
        except Exception as raised:  # noqa: BLE001
            print(json.dumps({"call": "PUT upload_url (bytes)", "route": "PUT <upload_url>", "ok": False, "error": describe(raised)}), flush=True)
        mime = s.call("files.complete_upload", "POST /v1/files/upload/{id}/complete", lambda: c.files.complete_upload(file_id, sha256=sha))
        s.call("files.get", "GET /v1/files/{id}", lambda: c.files.get(file_id))
        s.call("files.get_download_link", "GET /v1/files/{id}/download-link", lambda: c.files.get_download_link(file_id))
    else:
        for name, route in [("PUT upload_url (bytes)", "PUT <upload_url>"), ("files.complete_upload", "POST /v1/files/upload/{id}/complete"), ("files.get", "GET /v1/files/{id}"), ("files.get_download_link", "GET /v1/files/{id}/download-link")]:
            s.skip(name, route, "files.create_upload gave no file_id/upload_url")
    s.call("files.list", "GET /v1/files", lambda: c.files.list(limit=5))

    # A file input as each generation writes it: FileRef from 2026-06-15, MaterializedDocument before.
    if s.new:
        document_input = {"id": file_id, "filename": "letter.txt", "mime_type": "text/plain"}
    else:
        document_input = {"original_id": file_id, "filename": "letter.txt", "mime_type": "text/plain", "gcs_uri": (mime or {}).get("url") or "", "size_bytes": len(LETTER)}

    def make_test(label, block_id, handle_inputs, condition, path="total", needs=()):
        source = {"type": "manual", "handle_inputs": handle_inputs}
        assertion = {"target": {"output_handle_id": "output-json-0", "path": path}, "condition": condition}
        needs = [(block_id, "blocks.create"), *needs]
        return s.call(f"{n}.create ({label})", f"POST /v1/workflows/{n}", lambda: t.create(wf, {"type": "block", "block_id": block_id}, source, assertion, name=label), needs=needs) or {}

    passing = make_test("json, passes", adder.get("id"), {"input-json-0": {"type": "json", "data": {"a": 1, "b": 2}}}, {"kind": "equals", "expected": 3})
    make_test("json, fails", adder.get("id"), {"input-json-0": {"type": "json", "data": {"a": 1, "b": 1}}}, {"kind": "equals", "expected": 3})
    slow_test = make_test("json, slow", slow.get("id"), {"input-json-0": {"type": "json", "data": {"delay_ms": 1500}}}, {"kind": "exists"})
    # Written as the SDK's types write it (Node's TypeScript types say `expectedLabel`; it goes out verbatim).
    make_test("llm_judged_as", adder.get("id"), {"input-json-0": {"type": "json", "data": {"a": 1, "b": 2}}}, {"kind": "llm_judged_as", "rubric": "Is the total right?", "expected_label": "yes"}, path=None)
    file_test = make_test("file input", extract.get("id"), {"input-file-document": {"type": "file", "document": document_input}}, {"kind": "exists"}, path=None, needs=[(file_id, "files.create_upload")])
    s.call(f"{n}.list", f"GET /v1/workflows/{n}", lambda: t.list(wf))
    s.call(f"{n}.get (json)", f"GET /v1/workflows/{n}/{{id}}", lambda: t.get(passing.get("id")), needs=[(passing.get("id"), f"{n}.create (json, passes)")])
    s.call(f"{n}.get (file)", f"GET /v1/workflows/{n}/{{id}}", lambda: t.get(file_test.get("id")), needs=[(file_test.get("id"), f"{n}.create (file input)")])
    s.call(f"{n}.update", f"PATCH /v1/workflows/{n}/{{id}}", lambda: t.update(passing.get("id"), name="json, passes (renamed)"), needs=[(passing.get("id"), f"{n}.create (json, passes)")])

    id_key = "eval_id" if s.new else "test_id"
    runs_route = f"/v1/workflows/{n}/runs"

    def start_run(label, scope, needs=()):
        return s.call(f"{n}.runs.create ({label})", f"POST {runs_route}", lambda: t.runs.create(wf, scope=scope), needs=needs) or {}

    poll_route = f"GET {runs_route}/{{id}}"
    single = start_run("single", {"type": "single", id_key: passing.get("id")}, needs=[(passing.get("id"), f"{n}.create (json, passes)")])
    s.wait(single.get("id"), poll_route, f"{n}.runs.create (single)")
    block_run = start_run("block", {"type": "block", "block_id": adder.get("id")}, needs=[(adder.get("id"), "blocks.create (function)")])
    s.wait(block_run.get("id"), poll_route, f"{n}.runs.create (block)")
    whole = start_run("workflow", {"type": "workflow"})
    s.wait(whole.get("id"), poll_route, f"{n}.runs.create (workflow)")
    default_scope = s.call(f"{n}.runs.create (no scope)", f"POST {runs_route}", lambda: t.runs.create(wf)) or {}
    s.wait(default_scope.get("id"), poll_route, f"{n}.runs.create (no scope)")

    def cancelled(raw):
        status = raw.get("lifecycle", {}).get("status")
        return None if status == "cancelled" else f"the models accepted the answer, but its lifecycle.status is {status!r}, not 'cancelled'"

    cancel_route = f"POST {runs_route}/{{id}}/cancel"
    early = start_run("workflow, cancelled at once", {"type": "workflow"})
    early_needs = [(early.get("id"), f"{n}.runs.create (workflow, cancelled at once)")]
    s.call(f"{n}.runs.cancel (right after create)", cancel_route, lambda: t.runs.cancel(early["id"]), verify=cancelled, needs=early_needs)
    s.call(f"{n}.list (after a run cancelled before its tests started)", f"GET /v1/workflows/{n}", lambda: t.list(wf), needs=early_needs)

    doomed = start_run("single, to cancel", {"type": "single", id_key: slow_test.get("id")}, needs=[(slow_test.get("id"), f"{n}.create (json, slow)")])
    time.sleep(0.3)
    s.call(f"{n}.runs.cancel (while running)", cancel_route, lambda: t.runs.cancel(doomed["id"]), verify=cancelled, needs=[(doomed.get("id"), f"{n}.runs.create (single, to cancel)")])
    s.call(
        f"{n}.runs.cancel (finished run → NotFoundError)",
        cancel_route,
        lambda: t.runs.cancel(single["id"]),
        expect=NotFoundError,
        needs=[(single.get("id"), f"{n}.runs.create (single)")],
    )
    s.call(f"{n}.runs.get", f"GET {runs_route}/{{id}}", lambda: t.runs.get(whole.get("id")), needs=[(whole.get("id"), f"{n}.runs.create (workflow)")])
    s.call(f"{n}.runs.list", f"GET {runs_route}", lambda: t.runs.list(workflow_id=wf))
    s.call(f"{n}.runs.list (by {id_key})", f"GET {runs_route}", lambda: t.runs.list(**{id_key: passing.get("id")}), needs=[(passing.get("id"), f"{n}.create (json, passes)")])

    results_route = f"/v1/workflows/{n}/results"
    page = s.call(f"{n}.results.list (workflow run)", f"GET {results_route}", lambda: t.results.list(whole.get("id"), limit=50), needs=[(whole.get("id"), f"{n}.runs.create (workflow)")]) or {}
    s.call(f"{n}.results.list (cancelled run)", f"GET {results_route}", lambda: t.results.list(doomed.get("id")), needs=[(doomed.get("id"), f"{n}.runs.create (single, to cancel)")])
    rows = page.get("data") or []
    file_row = next((row for row in rows if (row.get(id_key) or row.get("test_id")) == file_test.get("id")), None)
    json_row = next((row for row in rows if row is not file_row), None)
    if json_row:
        s.call(f"{n}.results.get (json input)", f"GET {results_route}/{{id}}", lambda: t.results.get(json_row["id"]))
    else:
        s.skip(f"{n}.results.get (json input)", f"GET {results_route}/{{id}}", "no result row listed")
    if file_row:
        s.call(f"{n}.results.get (file input)", f"GET {results_route}/{{id}}", lambda: t.results.get(file_row["id"]))
    else:
        s.skip(f"{n}.results.get (file input)", f"GET {results_route}/{{id}}", "no result row of the file test listed")

    experiments(s, wf, extract.get("id"), {"input-file-document": {"type": "file", "document": document_input}}, file_id)

    spec_route = "GET /v1/workflows/{id}/spec" if s.new else "GET /v1/workflows/spec/{id}"
    exported = s.call("spec.get (export)", spec_route, lambda: c.workflows.spec.get(wf)) or {}
    yaml_definition = exported.get("yaml_definition") or ""
    s.call("spec.validate", "POST /v1/workflows/spec/validate", lambda: c.workflows.spec.validate(yaml_definition))
    if s.new:
        s.call("workflows.plan (workflow-scoped)", "POST /v1/workflows/{id}/spec/plan", lambda: wfs.plan(yaml_definition, workflow_id=wf))
        s.call("workflows.apply (workflow-scoped)", "POST /v1/workflows/{id}/spec/apply", lambda: wfs.apply(yaml_definition, workflow_id=wf))
    else:
        s.call("spec.plan", "POST /v1/workflows/spec/plan", lambda: c.workflows.spec.plan(yaml_definition))
        s.call("spec.apply", "POST /v1/workflows/spec/apply", lambda: c.workflows.spec.apply(yaml_definition))

    s.call("workflows.publish", "POST /v1/workflows/{id}/publish", lambda: wfs.publish(wf, description="conformance"))
    if s.new:
        s.call("workflows.list_versions", "GET /v1/workflows/versions", lambda: wfs.list_versions(wf))
        s.call("blocks.list_versions", "GET /v1/workflows/blocks/versions", lambda: c.workflows.blocks.list_versions(wf))
        s.call("edges.list_versions", "GET /v1/workflows/edges/versions", lambda: c.workflows.edges.list_versions(wf))
        s.call(
            "blocks.create_block_validate_config",
            "POST /v1/workflows/blocks/{id}/validate-config",
            lambda: c.workflows.blocks.create_block_validate_config(adder.get("id"), config={"language": "javascript", "code": SUM_CODE}, workflow_id=wf, config_mode="merge"),
            needs=[(adder.get("id"), "blocks.create (function)")],
        )
        s.call("workflows.discard_draft", "POST /v1/workflows/{id}/discard-draft", lambda: wfs.discard_draft(wf))

    s.call(f"{n}.delete", f"DELETE /v1/workflows/{n}/{{id}}", lambda: t.delete(slow_test.get("id")), needs=[(slow_test.get("id"), f"{n}.create (json, slow)")])
    s.call(f"{n}.get (deleted → NotFoundError)", f"GET /v1/workflows/{n}/{{id}}", lambda: t.get(slow_test.get("id")), expect=NotFoundError, needs=[(slow_test.get("id"), f"{n}.create (json, slow)")])
    s.call("edges.delete", "DELETE /v1/workflows/edges/{id}", lambda: c.workflows.edges.delete(file_edge.get("id")), needs=[(file_edge.get("id"), "edges.create (file)")])
    s.call("blocks.delete", "DELETE /v1/workflows/blocks/{id}", lambda: c.workflows.blocks.delete(slow.get("id"), workflow_id=wf), needs=[(slow.get("id"), "blocks.create (function)")])
    s.call("workflows.delete", "DELETE /v1/workflows/{id}", lambda: wfs.delete(wf))
    s.call("workflows.get (deleted → NotFoundError)", "GET /v1/workflows/{id}", lambda: wfs.get(wf), expect=NotFoundError)


def experiments(s, wf, block_id, handle_inputs, file_id):
    """The 12 experiment routes: a consistency experiment of the extract block over two documents (n_consensus 3)."""
    c, ex = s.client, s.client.workflows.experiments
    route = "/v1/workflows/experiments"
    experiment = s.call("experiments.create", f"POST {route}", lambda: ex.create(wf, block_id=block_id, name="consistency", n_consensus=3, documents=[{"handle_inputs": handle_inputs}] * 2), needs=[(block_id, "blocks.create (extract)"), (file_id, "files.create_upload")]) or {}
    exp_id = experiment.get("id")
    needs = [(exp_id, "experiments.create")]
    s.call("experiments.get", f"GET {route}/{{id}}", lambda: ex.get(exp_id), needs=needs)
    s.call("experiments.list", f"GET {route}", lambda: ex.list(wf))
    s.call("experiments.update", f"PATCH {route}/{{id}}", lambda: ex.update(exp_id, name="consistency (renamed)"), needs=needs)
    copy = s.call("experiments.create (duplicate)", f"POST {route}", lambda: ex.create(wf, source_experiment_id=exp_id), needs=needs) or {}
    run = s.call("experiments.runs.create", f"POST {route}/runs", lambda: ex.runs.create(exp_id), needs=needs) or {}
    run_id = run.get("id")
    s.wait(run_id, f"GET {route}/runs/{{id}}", "experiments.runs.create", runs=ex.runs)
    run_needs = [(run_id, "experiments.runs.create")]
    s.call("experiments.runs.get", f"GET {route}/runs/{{id}}", lambda: ex.runs.get(run_id), needs=run_needs)
    s.call("experiments.runs.list", f"GET {route}/runs", lambda: ex.runs.list(experiment_id=exp_id, status="completed"), needs=needs)
    page = s.call("experiments.results.list", f"GET {route}/results", lambda: ex.results.list(run_id), needs=run_needs) or {}
    rows = page.get("data") or []
    document_id = rows[0]["document_id"] if rows else None
    s.call("experiments.results.get", f"GET {route}/results/{{id}}", lambda: ex.results.get(rows[0]["id"]), needs=[(rows and rows[0].get("id"), "experiments.results.list")])

    def kind_is(expected):
        return lambda raw: None if raw.get("kind") == expected else f"the models accepted the answer, but its kind is {raw.get('kind')!r}, not {expected!r}"

    metrics_route = f"GET {route}/metrics"
    s.call("experiments.metrics.get (summary)", metrics_route, lambda: ex.metrics.get(run_id), needs=run_needs, verify=kind_is("summary"))
    doc_needs = [*run_needs, (document_id, "experiments.results.list")]
    s.call("experiments.metrics.get (by_document)", metrics_route, lambda: ex.metrics.get(run_id, view="by_document", document_id=document_id), needs=doc_needs, verify=kind_is("by_document"))
    s.call("experiments.metrics.get (by_target)", metrics_route, lambda: ex.metrics.get(run_id, view="by_target", target_path="total"), needs=run_needs, verify=kind_is("by_target"))
    s.call("experiments.metrics.get (votes)", metrics_route, lambda: ex.metrics.get(run_id, view="votes", document_id=document_id, target_path="total", include_prior=False), needs=doc_needs, verify=kind_is("votes"))
    s.call("blocks.update (extract schema, for stale metrics)", "PATCH /v1/workflows/blocks/{id}", lambda: c.workflows.blocks.update(block_id, workflow_id=wf, config={"json_schema": {**TOTAL_SCHEMA, "properties": {"total": {"type": "number"}, "currency": {"type": "string"}}}}), needs=run_needs)
    s.call("experiments.metrics.get (stale_metrics)", metrics_route, lambda: ex.metrics.get(run_id), needs=run_needs, verify=kind_is("stale_metrics"))

    def cancelled(raw):
        status = raw.get("lifecycle", {}).get("status")
        return None if status == "cancelled" else f"the models accepted the answer, but its lifecycle.status is {status!r}, not 'cancelled'"

    doomed = s.call("experiments.runs.create (duplicate, to cancel)", f"POST {route}/runs", lambda: ex.runs.create(copy["id"], workflow_id=wf), needs=[(copy.get("id"), "experiments.create (duplicate)")]) or {}
    doomed_needs = [(doomed.get("id"), "experiments.runs.create (duplicate, to cancel)")]
    s.call("experiments.runs.cancel", f"POST {route}/runs/{{id}}/cancel", lambda: ex.runs.cancel(doomed["id"]), verify=cancelled, needs=doomed_needs)
    s.call("experiments.metrics.get (no_metrics)", metrics_route, lambda: ex.metrics.get(doomed["id"]), needs=doomed_needs, verify=kind_is("no_metrics"))
    s.call("experiments.runs.cancel (finished run → NotFoundError)", f"POST {route}/runs/{{id}}/cancel", lambda: ex.runs.cancel(run_id), expect=NotFoundError, needs=run_needs)
    s.call("experiments.delete", f"DELETE {route}/{{id}}", lambda: ex.delete(copy["id"]), needs=[(copy.get("id"), "experiments.create (duplicate)")])
    s.call("experiments.get (deleted → NotFoundError)", f"GET {route}/{{id}}", lambda: ex.get(copy["id"]), expect=NotFoundError, needs=[(copy.get("id"), "experiments.create (duplicate)")])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    args = parser.parse_args()
    print(json.dumps({"sdk": "python", "version": getattr(retab, "__version__", None), "module": retab.__file__}), file=sys.stderr)
    run(args.base_url, args.api_key)
