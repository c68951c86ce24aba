import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { SandboxPool } from '../sandbox/index.js';
import { RETAB_EXAMPLE } from './test-support.js';

/**
 * The semantics of Python function blocks (packages/server/python/verdict_runner: models.py and
 * run.py), driven without the zygote: tests/drive_run.py calls run_test for each request, all in
 * one process, as Retab's users write their blocks.
 */
const DRIVER = fileURLToPath(new URL('../../../python/tests/drive_run.py', import.meta.url));
const NO_PYTHON = spawnSync('python3', ['--version']).error
  ? 'python3 is not installed on this machine: the Python function-block runner cannot be tested'
  : false;

const INPUT_PATH = ['handle_inputs', 'input-json-0', 'data'];

interface Success {
  id: number;
  ok: true;
  output_json: string;
  logs?: string;
}
interface Failure {
  id: number;
  ok: false;
  reason: string;
  message: string;
  details: Record<string, unknown> & { exception_type?: string; line?: number | null; traceback?: string };
}
type Answer = Success | Failure;

interface RequestOptions {
  inputSchema?: unknown;
  outputSchema?: unknown;
  memoryMb?: number;
  maxOutputBytes?: number;
  /** drive_run.py runs the request in a child whose address space is capped at memory_mb more than it has. */
  inChild?: boolean;
}

/** Python source from an indented template literal (backslashes kept as written): the common indentation is removed. */
function py(strings: TemplateStringsArray, ...values: unknown[]): string {
  const lines = String.raw({ raw: strings.raw }, ...values).split('\n');
  if (lines[0]?.trim() === '') lines.shift();
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
  return lines.map((line) => line.slice(indent)).join('\n');
}

/** One `python3 -I -S drive_run.py` process: requests go in as JSON lines, answers come back in order. */
class PythonDriver {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(answer: Answer) => void> = [];
  private nextId = 1;
  private stderr = '';

  constructor() {
    this.child = spawn('python3', ['-I', '-S', DRIVER]);
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as Answer));
    this.child.on('exit', (code) => {
      for (const resolve of this.waiting.splice(0)) resolve({ id: 0, ok: false, reason: 'driver_exited', message: `exit ${code}: ${this.stderr}`, details: {} });
    });
  }

  run(code: string, data: unknown, options: RequestOptions = {}): Promise<Answer> {
    const request = {
      id: this.nextId++,
      code,
      source: { handle_inputs: { 'input-json-0': { type: 'json', data } } },
      input_path: INPUT_PATH,
      input_schema: options.inputSchema ?? null,
      output_schema: options.outputSchema ?? null,
      timeout_ms: 10_000,
      memory_mb: options.memoryMb ?? 256,
      max_output_bytes: options.maxOutputBytes ?? 4 * 1024 * 1024,
      ...(options.inChild ? { drive_in_child: true } : {}),
    };
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** The parsed output of a run that must succeed. */
  async output(code: string, data: unknown, options: RequestOptions = {}): Promise<any> {
    const answer = await this.run(code, data, options);
    assert.ok(answer.ok, `expected an output, got ${JSON.stringify(answer)}`);
    return JSON.parse(answer.output_json);
  }

  /** The failure of a run that must fail with `reason`. */
  async failure(reason: string, code: string, data: unknown, options: RequestOptions = {}): Promise<Failure> {
    const answer = await this.run(code, data, options);
    assert.ok(!answer.ok, `expected ${reason}, got ${JSON.stringify(answer)}`);
    assert.equal(answer.reason, reason, answer.message);
    return answer;
  }

  close(): void {
    this.child.stdin.end();
  }
}

function objectSchema(properties: Record<string, unknown>, required: string[] = Object.keys(properties), extra: Record<string, unknown> = {}) {
  return { type: 'object', properties, required, ...extra };
}

/** The same computation in JavaScript, as a Verdict user would port it. */
const RETAB_EXAMPLE_JS = `function transform(input) {
  const subtotal = input.line_items.reduce((sum, item) => sum + item.amount, 0);
  const computed_total = Math.round((subtotal + subtotal * input.tax_rate) * 100) / 100;
  return { invoice_id: input.invoice_id, subtotal, computed_total, is_valid: Math.abs(computed_total - input.stated_total) <= 0.01 };
}`;
/** A start_json block's json_schema for the invoice. */
const INVOICE_SCHEMA = objectSchema({
  invoice_id: { type: 'string' },
  line_items: { type: 'array', items: objectSchema({ description: { type: 'string' }, amount: { type: 'number' } }) },
  tax_rate: { type: 'number' },
  stated_total: { type: 'number' },
});
/** The function block's output_schema. */
const CHECK_SCHEMA = objectSchema({ invoice_id: { type: 'string' }, subtotal: { type: 'number' }, computed_total: { type: 'number' }, is_valid: { type: 'boolean' } });
const INVOICES = [
  { invoice_id: 'INV-1', line_items: [{ description: 'Desk', amount: 100 }, { description: 'Lamp', amount: 200.5 }], tax_rate: 0.2, stated_total: 360.6 },
  { invoice_id: 'INV-2', line_items: [{ description: 'Chair', amount: 49.99 }, { description: 'Mat', amount: 12.01 }, { description: 'Pen', amount: 3 }], tax_rate: 0.085, stated_total: 70 },
  { invoice_id: 'INV-3', line_items: [{ description: 'Service', amount: 1000 }], tax_rate: 0, stated_total: 1000 },
];

describe('Python function blocks (run_test)', { skip: NO_PYTHON }, () => {
  let python: PythonDriver;
  before(() => {
    python = new PythonDriver();
  });
  after(() => python.close());

  describe("Retab's SDK example", () => {
    test('runs unchanged on a start_json schema and the block output_schema', async () => {
      const answer = await python.run(RETAB_EXAMPLE, INVOICES[0], { inputSchema: INVOICE_SCHEMA, outputSchema: CHECK_SCHEMA });
      assert.ok(answer.ok, JSON.stringify(answer));
      assert.equal(answer.output_json, '{"invoice_id":"INV-1","subtotal":300.5,"computed_total":360.6,"is_valid":true}');
      assert.deepEqual(await python.output(RETAB_EXAMPLE, INVOICES[1], { inputSchema: INVOICE_SCHEMA, outputSchema: CHECK_SCHEMA }), {
        invoice_id: 'INV-2',
        subtotal: 65,
        computed_total: 70.53,
        is_valid: false,
      });
    });

    test('gives the same numbers as its JavaScript twin', async () => {
      const pool = new SandboxPool({ size: 1 });
      try {
        for (const invoice of INVOICES) {
          const javascript = await pool.run({ codeKey: 'retab-twin', code: RETAB_EXAMPLE_JS, input: invoice, timeoutMs: 10_000 });
          assert.ok(javascript.ok, JSON.stringify(javascript));
          const pythonOutput = await python.output(RETAB_EXAMPLE, invoice, { inputSchema: INVOICE_SCHEMA, outputSchema: CHECK_SCHEMA });
          assert.deepEqual(pythonOutput, javascript.output, invoice.invoice_id);
        }
      } finally {
        await pool.close();
      }
    });
  });

  describe('Input, from the upstream JSON Schema', () => {
    test('nested objects are model classes, arrays of objects lists of models, read by attribute', async () => {
      const schema = objectSchema({
        customer: objectSchema({ name: { type: 'string' }, address: objectSchema({ city: { type: 'string' } }) }),
        line_items: { type: 'array', items: objectSchema({ sku: { type: 'string' }, qty: { type: 'integer' }, price: { type: 'number' } }) },
      });
      const code = py`
        import models
        from models import Input, LineItem, Customer

        def transform(input_data: Input):
            first = input_data.line_items[0]
            return {
                "classes": [type(input_data).__name__, type(input_data.customer).__name__, type(first).__name__],
                "isinstance": [isinstance(input_data, Input), isinstance(input_data.customer, Customer), isinstance(first, LineItem), type(input_data.line_items) is list],
                "city": input_data.customer.address.city,
                "total": sum(item.qty * item.price for item in input_data.line_items),
                "price_is_float": isinstance(first.price, float),
                "module": models.Address.__name__,
            }
      `;
      const data = { customer: { name: 'Ada', address: { city: 'Paris' } }, line_items: [{ sku: 'A', qty: 2, price: 3 }, { sku: 'B', qty: 1, price: 0.5 }] };
      assert.deepEqual(await python.output(code, data, { inputSchema: schema }), {
        classes: ['Input', 'Customer', 'LineItem'],
        isinstance: [true, true, true, true],
        city: 'Paris',
        total: 6.5,
        price_is_float: true,
        module: 'Address',
      });
    });

    test('Optional fields (not required, nullable, anyOf with null) read None; defaults fill missing fields', async () => {
      const schema = objectSchema(
        {
          id: { type: 'string' },
          note: { type: 'string' },
          due: { type: ['string', 'null'] },
          ref: { anyOf: [{ type: 'string' }, { type: 'null' }] },
          legacy: { type: 'string', nullable: true },
          currency: { type: 'string', default: 'EUR' },
          limits: objectSchema({ max: { type: 'number' } }, [], { default: { max: 10 } }),
          tags: { type: 'array', items: { type: 'string' }, default: [] },
        },
        ['id', 'due', 'ref', 'legacy'],
      );
      const code = py`
        def transform(input_data):
            return [input_data.note, input_data.due, input_data.ref, input_data.legacy, input_data.currency, input_data.limits.max, input_data.tags]
      `;
      assert.deepEqual(await python.output(code, { id: 'x', due: null, ref: null, legacy: null }, { inputSchema: schema }), [null, null, null, null, 'EUR', 10, []]);
      assert.deepEqual(await python.output(code, { id: 'x', note: 'n', due: 'd', ref: 'r', legacy: 'l', currency: 'USD', limits: { max: 3 }, tags: ['t'] }, { inputSchema: schema }), [
        'n',
        'd',
        'r',
        'l',
        'USD',
        3,
        ['t'],
      ]);
    });

    test('enums: a listed value passes, another fails naming the field and the values', async () => {
      const schema = objectSchema({ status: { type: 'string', enum: ['paid', 'open'] } });
      assert.equal(await python.output('def transform(input_data):\n    return input_data.status', { status: 'open' }, { inputSchema: schema }), 'open');
      const failure = await python.failure('error', 'def transform(input_data):\n    return input_data.status', { status: 'void' }, { inputSchema: schema });
      assert.equal(failure.message, "The test's input does not match the input schema: Input.status: expected one of 'paid', 'open', got str 'void'");
      assert.equal(failure.details.exception_type, 'ValidationError');
    });

    test('$ref into $defs, recursive, builds one class per definition', async () => {
      const schema = {
        type: 'object',
        properties: { root: { $ref: '#/$defs/Node' }, spare: { $ref: '#/definitions/Leaf' } },
        required: ['root'],
        $defs: { Node: objectSchema({ value: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } }, ['value']) },
        definitions: { Leaf: objectSchema({ label: { type: 'string' } }) },
      };
      const code = py`
        from models import Node

        def transform(input_data):
            def total(node):
                return node.value + sum(total(child) for child in (node.children or []))
            root = input_data.root
            return [total(root), type(root).__name__, type(root.children[0].children[0]) is Node, type(input_data.spare).__name__]
      `;
      const data = { root: { value: 1, children: [{ value: 2, children: [{ value: 3 }] }, { value: 4, children: [] }] }, spare: { label: 'x' } };
      assert.deepEqual(await python.output(code, data, { inputSchema: schema }), [10, 'Node', true, 'Leaf']);
    });

    test('keys beyond the properties stay readable (additionalProperties), typed when it is a schema', async () => {
      const schema = {
        type: 'object',
        properties: { id: { type: 'string' }, scores: { type: 'object', additionalProperties: { type: 'number' } } },
        required: ['id'],
      };
      const code = py`
        def transform(input_data):
            return [input_data.extra_key, input_data["extra_key"], input_data.scores.alice, sorted(input_data.scores.items()), input_data.model_dump()]
      `;
      const data = { id: 'a', extra_key: { nested: true }, scores: { alice: 1, bob: 2.5 } };
      assert.deepEqual(await python.output(code, data, { inputSchema: schema }), [
        { nested: true },
        { nested: true },
        1,
        [
          ['alice', 1],
          ['bob', 2.5],
        ],
        { id: 'a', scores: { alice: 1, bob: 2.5 }, extra_key: { nested: true } },
      ]);
      const typed = await python.failure('error', 'def transform(input_data):\n    return 1', { id: 'a', scores: { alice: 'high' } }, { inputSchema: schema });
      assert.match(typed.message, /Input\.scores\.alice: expected number, got str 'high'$/);
    });

    test('without a schema, Input is the JSON with attribute access: dicts, lists of them, dict methods too', async () => {
      const code = py`
        from models import Input

        def transform(input_data):
            return {
                "attribute": input_data.customer.name,
                "through_lists": [line.sku for line in input_data.lines],
                "item_key": input_data["items"],
                "dict_methods": [sorted(input_data.keys()), input_data.get("missing", "default")],
                "is_dict": isinstance(input_data, dict) and isinstance(input_data, Input),
            }
      `;
      const data = { customer: { name: 'Ada' }, lines: [{ sku: 'A' }, { sku: 'B' }], items: 3 };
      assert.deepEqual(await python.output(code, data), {
        attribute: 'Ada',
        through_lists: ['A', 'B'],
        item_key: 3,
        dict_methods: [['customer', 'items', 'lines'], 'default'],
        is_dict: true,
      });
      const missing = await python.failure('error', 'def transform(input_data):\n    return input_data.nope', { a: 1 });
      assert.equal(missing.message, "AttributeError: 'Input' object has no attribute 'nope' (line 2)");
    });

    test('keys that are not identifiers, or that a method name hides, are read with getattr or [key]', async () => {
      const schema = objectSchema({ 'unit price': { type: 'number' }, 'invoice-id': { type: 'string' }, dict: { type: 'string' }, class: { type: 'integer' } });
      const code = py`
        def transform(input_data):
            return [getattr(input_data, "unit price"), input_data["unit price"], input_data["invoice-id"], input_data["dict"], input_data.dict, input_data["class"], getattr(input_data, "class")]
      `;
      assert.deepEqual(await python.output(code, { 'unit price': 2, 'invoice-id': 'I-1', dict: 'd', class: 3 }, { inputSchema: schema }), [2, 2, 'I-1', 'd', 'd', 3, 3]);
    });

    test('an input that does not fit its schema fails before transform runs, naming the field', async () => {
      const options = { inputSchema: INVOICE_SCHEMA, outputSchema: CHECK_SCHEMA };
      const missing = await python.failure('error', RETAB_EXAMPLE, { invoice_id: 'INV-1', line_items: [{ description: 'Desk', amount: 100 }], tax_rate: 0.2 }, options);
      assert.equal(missing.message, "The test's input does not match the input schema: Input: field 'stated_total' is required");
      assert.equal(missing.details.line, null);
      const wrongType = await python.failure('error', RETAB_EXAMPLE, { ...INVOICES[0], line_items: [{ description: 'Desk', amount: '100' }] }, options);
      assert.equal(wrongType.message, "The test's input does not match the input schema: Input.line_items[0].amount: expected number, got str '100'");
      const noInput = await python.failure('error', RETAB_EXAMPLE, null, { inputSchema: INVOICE_SCHEMA });
      assert.equal(noInput.message, "The test's input does not match the input schema: Input: expected object, got None");
    });
  });

  describe('Output', () => {
    const OUTPUT_SCHEMA = objectSchema(
      {
        name: { type: 'string' },
        count: { type: 'integer' },
        total: { type: 'number' },
        is_valid: { type: 'boolean' },
        nothing: { type: 'null' },
        tags: { type: 'array', items: { type: 'string' } },
        customer: objectSchema({ name: { type: 'string' } }),
        status: { enum: ['paid', 'open'] },
        note: { type: 'string' },
      },
      ['name', 'count', 'total', 'is_valid'],
    );
    const VALID = "name='n', count=1, total=1.5, is_valid=True";
    /** Ends a transform that inspects Output: returns a valid Output carrying `report` as an extra field (extras are allowed). */
    const REPORT = 'return Output(name="n", count=1, total=1, is_valid=True, report=report)';
    const report = async (code: string): Promise<unknown> => (await python.output(code, null, { outputSchema: OUTPUT_SCHEMA })).report;

    test("a schema written by pydantic's model_json_schema() ($defs, titles, anyOf null, defaults) gives pydantic's own output", async () => {
      // Invoice.model_json_schema() of: class LineItem(BaseModel): description: str; amount: float
      // class Invoice(BaseModel): invoice_id: str; status: Status; line_items: List[LineItem]; note: Optional[str] = None; discount: float = 0.0
      const pydanticSchema = {
        $defs: {
          LineItem: objectSchema({ description: { title: 'Description', type: 'string' }, amount: { title: 'Amount', type: 'number' } }, ['description', 'amount'], { title: 'LineItem' }),
          Status: { enum: ['paid', 'open'], title: 'Status', type: 'string' },
        },
        properties: {
          invoice_id: { title: 'Invoice Id', type: 'string' },
          status: { $ref: '#/$defs/Status' },
          line_items: { items: { $ref: '#/$defs/LineItem' }, title: 'Line Items', type: 'array' },
          note: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Note' },
          discount: { default: 0.0, title: 'Discount', type: 'number' },
        },
        required: ['invoice_id', 'status', 'line_items'],
        title: 'Invoice',
        type: 'object',
      };
      const code = py`
        from models import Input, Output, LineItem

        def transform(input_data: Input) -> Output:
            fee = LineItem(description="Fee", amount=5)
            return Output(invoice_id=input_data.invoice_id.lower(), status="paid", line_items=input_data.line_items + [fee])
      `;
      const data = { invoice_id: 'INV-7', status: 'open', line_items: [{ description: 'Desk', amount: 120 }] };
      const answer = await python.run(code, data, { inputSchema: pydanticSchema, outputSchema: pydanticSchema });
      assert.ok(answer.ok, JSON.stringify(answer));
      // What pydantic 2.13's Invoice(...).model_dump_json() wrote for the same values.
      assert.equal(answer.output_json, '{"invoice_id":"inv-7","status":"paid","line_items":[{"description":"Desk","amount":120.0},{"description":"Fee","amount":5.0}],"note":null,"discount":0.0}');
    });

    test('Output(...) refuses a wrong type, naming the field path, what it expects and what it got', async () => {
      const cases: Array<[string, string]> = [
        [`Output(${VALID.replace("name='n'", 'name=5')})`, 'Output.name: expected string, got int 5'],
        [`Output(${VALID.replace('count=1', 'count=2.5')})`, 'Output.count: expected integer, got float 2.5'],
        [`Output(${VALID.replace('count=1', 'count=True')})`, 'Output.count: expected integer, got bool True'],
        [`Output(${VALID.replace('total=1.5', "total='abc'")})`, "Output.total: expected number, got str 'abc'"],
        [`Output(${VALID.replace('is_valid=True', 'is_valid=1')})`, 'Output.is_valid: expected boolean, got int 1'],
        [`Output(${VALID}, nothing=0)`, 'Output.nothing: expected null, got int 0'],
        [`Output(${VALID}, tags='a,b')`, "Output.tags: expected array, got str 'a,b'"],
        [`Output(${VALID}, tags=['a', 2])`, 'Output.tags[1]: expected string, got int 2'],
        [`Output(${VALID}, customer={'name': None})`, 'Output.customer.name: expected string, got None'],
        [`Output(${VALID}, customer='Ada')`, "Output.customer: expected object, got str 'Ada'"],
        [`Output(${VALID}, status='void')`, "Output.status: expected one of 'paid', 'open', got str 'void'"],
        ["Output(name='n', count=1, total=1.5)", "Output: field 'is_valid' is required"],
        ["Output(name='n')", "Output: fields 'count', 'total', 'is_valid' are required"],
      ];
      const code = py`
        from models import Output

        def transform(input_data):
            report = []
            for expression in input_data:
                try:
                    eval(expression)
                    report.append("accepted")
                except ValueError as error:
                    report.append(f"{type(error).__name__}: {error}")
            ${REPORT}
      `;
      const messages = (await python.output(code, cases.map(([expression]) => expression), { outputSchema: OUTPUT_SCHEMA })).report;
      assert.deepEqual(
        messages,
        cases.map(([, message]) => `ValidationError: ${message}`),
      );
    });

    test('Output(...) accepts what pydantic would: ints for numbers (as floats), whole floats for integers, None for optional fields', async () => {
      const code = py`
        from models import Output

        def transform(input_data):
            output = Output(name="n", count=2.0, total=3, is_valid=False, note=None, customer={"name": "Ada"})
            report = [repr(output.count), repr(output.total), type(output.customer).__name__, output.note]
            ${REPORT}
      `;
      assert.deepEqual(await report(code), ['2', '3.0', 'Customer', null]);
    });

    test('the raised error is a ValueError subclass with pydantic-style errors(), and its traceback line is the user line', async () => {
      const code = py`
        from models import Output, ValidationError

        def transform(input_data):
            try:
                Output(name=1, count=1, total=1, is_valid=True)
            except ValidationError as error:
                report = [isinstance(error, ValueError), error.errors()[0]["loc"], error.errors()[0]["msg"]]
            ${REPORT}
      `;
      assert.deepEqual(await report(code), [true, ['name'], 'expected string, got int 1']);
      const failure = await python.failure('error', 'from models import Output\n\ndef transform(input_data):\n    return Output(total="abc")\n', null, { outputSchema: OUTPUT_SCHEMA });
      assert.equal(failure.details.line, 4);
      assert.equal(failure.details.exception_type, 'ValidationError');
    });

    test('model_dump (python and json modes), model_dump_json, dict(), model_validate, model_copy, equality and repr behave as pydantic', async () => {
      const code = py`
        from models import Output

        def transform(input_data):
            output = Output(name="n", count=1, total=2, is_valid=True, customer={"name": "Ada"}, tags=["x"])
            copied = output.model_copy(update={"count": 5})
            report = {
                "dump": output.model_dump(),
                "dump_json_mode": output.model_dump(mode="json", exclude_none=True),
                "dump_json": output.model_dump_json(),
                "dict": output.dict(include={"name", "count"}),
                "pairs": [key for key, _ in output][:4],
                "customer_kept_as_model": type(dict(output)["customer"]).__name__,
                "validated_equal": Output.model_validate(output.model_dump()) == output,
                "copy": [copied.count, output.count, copied == output],
                "repr": repr(output),
                "str": str(Output.model_validate({"name": "n", "count": 1, "total": 1, "is_valid": False})),
                "json_roundtrip": Output.model_validate_json(output.model_dump_json()) == output,
            }
            ${REPORT}
      `;
      const customer = { name: 'Ada' };
      const full = { name: 'n', count: 1, total: 2, is_valid: true, nothing: null, tags: ['x'], customer, status: null, note: null };
      assert.deepEqual(await report(code), {
        dump: full,
        dump_json_mode: { name: 'n', count: 1, total: 2, is_valid: true, tags: ['x'], customer },
        dump_json: '{"name":"n","count":1,"total":2.0,"is_valid":true,"nothing":null,"tags":["x"],"customer":{"name":"Ada"},"status":null,"note":null}',
        dict: { name: 'n', count: 1 },
        pairs: ['name', 'count', 'total', 'is_valid'],
        customer_kept_as_model: 'Customer',
        validated_equal: true,
        copy: [5, 1, false],
        repr: "Output(name='n', count=1, total=2.0, is_valid=True, nothing=None, tags=['x'], customer=Customer(name='Ada'), status=None, note=None)",
        str: "name='n' count=1 total=1.0 is_valid=False nothing=None tags=None customer=None status=None note=None",
        json_roundtrip: true,
      });
    });

    test("the block's output is model_dump(mode='json'), without the optional fields left None that their schema does not allow as null", async () => {
      const code = py`
        from models import Output

        def transform(input_data):
            return Output(name="n", count=1, total=2, is_valid=True, nothing=None)
      `;
      const answer = await python.run(code, null, { outputSchema: OUTPUT_SCHEMA });
      assert.ok(answer.ok, JSON.stringify(answer));
      assert.equal(answer.output_json, '{"name":"n","count":1,"total":2.0,"is_valid":true,"nothing":null}');
    });

    test('a plain dict or list may be returned instead; it is checked against output_schema, naming the field', async () => {
      const plain = await python.run('def transform(input_data):\n    return {"name": "n", "count": 1, "total": 2, "is_valid": True}', null, { outputSchema: OUTPUT_SCHEMA });
      assert.ok(plain.ok, JSON.stringify(plain));
      assert.equal(plain.output_json, '{"name":"n","count":1,"total":2.0,"is_valid":true,"nothing":null}', 'validated as Output(**dict) is, then dumped');
      const bad = await python.failure('invalid_output', 'def transform(input_data):\n    return {"name": "n", "count": 1, "total": 2, "is_valid": "yes"}', null, { outputSchema: OUTPUT_SCHEMA });
      assert.equal(bad.message, "transform returned a value that does not match output_schema: Output.is_valid: expected boolean, got str 'yes'");
      assert.equal(bad.details.path, 'Output.is_valid');
      const listSchema = { type: 'array', items: objectSchema({ sku: { type: 'string' } }) };
      assert.deepEqual(await python.output('def transform(input_data):\n    return [{"sku": "A"}]', null, { outputSchema: listSchema }), [{ sku: 'A' }]);
      const badItem = await python.failure('invalid_output', 'def transform(input_data):\n    return [{"sku": "A"}, {"sku": 2}]', null, { outputSchema: listSchema });
      assert.match(badItem.message, /Output\[1\]\.sku: expected string, got int 2$/);
    });

    test('an Output whose field was reassigned with a wrong type after it was made is refused', async () => {
      const code = 'from models import Output\n\ndef transform(input_data):\n    output = Output(name="n", count=1, total=2, is_valid=True)\n    output.total = "lots"\n    return output\n';
      const failure = await python.failure('invalid_output', code, null, { outputSchema: OUTPUT_SCHEMA });
      assert.match(failure.message, /Output\.total: expected number, got str 'lots'$/);
    });

    test('returning None when output_schema expects an object says so', async () => {
      const failure = await python.failure('invalid_output', 'def transform(input_data):\n    total = 1\n', null, { outputSchema: OUTPUT_SCHEMA });
      assert.equal(failure.message, 'transform returned None, but output_schema expects a value: return Output(...) or a dict (did transform miss a return?)');
      assert.equal(await python.output('def transform(input_data):\n    return None', null), null, 'without output_schema, None is the output null');
    });
  });

  describe('async def transform', () => {
    test('is awaited, also when it awaits asyncio.sleep(0), gather and timers', async () => {
      const code = py`
        import asyncio

        async def double(value):
            await asyncio.sleep(0)
            return value * 2

        async def transform(input_data):
            await asyncio.sleep(0)
            await asyncio.sleep(0.001)
            return await asyncio.gather(*(double(value) for value in input_data))
      `;
      assert.deepEqual(await python.output(code, [1, 2, 3]), [2, 4, 6]);
    });

    test('runs without asyncio when it awaits only coroutines of its own', async () => {
      const code = py`
        async def double(value):
            return value * 2

        async def transform(input_data):
            return await double(input_data)
      `;
      assert.equal(await python.output(code, 21), 42);
    });
  });

  describe('failures', () => {
    test('an exception: its type, message, the user line, and a traceback of user frames only', async () => {
      const code = py`
        import json

        def parse(text):
            return json.loads(text)

        def transform(input_data):
            return parse(input_data["text"])
      `;
      const failure = await python.failure('error', code, { text: 'not json' });
      assert.equal(failure.message, 'JSONDecodeError: Expecting value: line 1 column 1 (char 0) (line 4)');
      assert.equal(failure.details.exception_type, 'JSONDecodeError');
      assert.equal(failure.details.line, 4);
      assert.equal(
        failure.details.traceback,
        [
          'Traceback (most recent call last):',
          '  File "<function block>", line 7, in transform',
          '    return parse(input_data["text"])',
          '  File "<function block>", line 4, in parse',
          '    return json.loads(text)',
          'JSONDecodeError: Expecting value: line 1 column 1 (char 0)',
        ].join('\n'),
      );
    });

    test('an exception at module level names its line too; deep recursion is shown collapsed', async () => {
      const topLevel = await python.failure('error', 'x = 1\ny = x / 0\ndef transform(input_data):\n    return 1\n', null);
      assert.equal(topLevel.message, 'ZeroDivisionError: division by zero (line 2)');
      assert.match(topLevel.details.traceback!, /File "<function block>", line 2, in <module>/);
      const recursion = await python.failure('error', 'def down(n):\n    return down(n + 1)\n\ndef transform(input_data):\n    return down(0)\n', null);
      assert.equal(recursion.details.exception_type, 'RecursionError');
      assert.match(recursion.details.traceback!, /\[Previous line repeated \d+ more times\]/);
      assert.ok(recursion.details.traceback!.split('\n').length < 15, recursion.details.traceback);
    });

    test('a SyntaxError is reported with its line and column', async () => {
      const failure = await python.failure('error', 'def transform(input_data)\n    return 1\n', null);
      assert.equal(failure.message, "SyntaxError: expected ':' (line 1, column 26)");
      assert.equal(failure.details.line, 1);
      assert.equal(failure.details.column, 26);
      assert.match(failure.details.traceback!, /def transform\(input_data\)\n {29}\^\nSyntaxError: expected ':'$/);
    });

    test('code without transform, or whose transform cannot take the input, says what to write', async () => {
      const missing = await python.failure('error', 'def transfrom(input_data):\n    return 1\n', null);
      assert.equal(missing.message, 'The code defines no transform function: write def transform(input_data: Input) -> Output:');
      const twoArguments = await python.failure('error', '\ndef transform(input_data, context):\n    return 1\n', null);
      assert.equal(twoArguments.message, 'transform must take one argument, the input (def transform(input_data: Input) -> Output:); it is defined as transform(input_data, context) (line 2)');
      const none = await python.failure('error', 'def transform():\n    return 1\n', null);
      assert.match(none.message, /it is defined as transform\(\) \(line 1\)$/);
      assert.equal(await python.output('def transform(input_data, scale=2, *rest, **options):\n    return input_data * scale', 21), 42, 'optional extra parameters are fine');
      const notFunction = await python.failure('error', 'transform = 42\n', null);
      assert.equal(notFunction.message, 'transform is an int, not a function: write def transform(input_data: Input) -> Output:');
    });

    test('NaN and Infinity in the output are invalid_output, naming where they are', async () => {
      const nested = await python.failure('invalid_output', 'def transform(input_data):\n    return {"a": [1, {"b": float("inf")}]}', null);
      assert.equal(nested.message, 'transform returned output that is not JSON-serialisable: $.a[1].b is Infinity, which JSON cannot represent');
      const root = await python.failure('invalid_output', 'def transform(input_data):\n    return float("nan")', null);
      assert.equal(root.message, 'transform returned output that is not JSON-serialisable: transform returned NaN, which JSON cannot represent');
      const inModel = await python.failure('invalid_output', 'from models import Output\ndef transform(input_data):\n    return Output(total=float("nan"))', null, {
        outputSchema: objectSchema({ total: { type: 'number' } }),
      });
      assert.match(inModel.message, /\$\.total is NaN/);
    });

    test('values JSON cannot represent (a set, an object) are invalid_output naming the type', async () => {
      const set = await python.failure('invalid_output', 'def transform(input_data):\n    return {"tags": {"a", "b"}}', null);
      assert.equal(set.message, 'transform returned output that is not JSON-serialisable: $.tags is a set, which JSON cannot represent');
      const object = await python.failure('invalid_output', 'class Thing:\n    pass\n\ndef transform(input_data):\n    return [1, Thing()]', null);
      assert.equal(object.message, 'transform returned output that is not JSON-serialisable: $[1] is a Thing, which JSON cannot represent');
    });

    test('an output over max_output_bytes is output_too_large; nesting over 128 is output_too_deep', async () => {
      const code = 'def transform(input_data):\n    return "x" * input_data';
      const atLimit = await python.run(code, 998, { maxOutputBytes: 1000 });
      assert.ok(atLimit.ok && atLimit.output_json.length === 1000, JSON.stringify(atLimit));
      const over = await python.failure('output_too_large', code, 999, { maxOutputBytes: 1000 });
      assert.equal(over.message, "transform returned 1,001 bytes of JSON; a block's output may be at most 1,000 bytes (VERDICT_MAX_OUTPUT_BYTES)");
      assert.deepEqual(over.details, { output_bytes: 1001, limit_bytes: 1000 });
      const nest = 'def transform(input_data):\n    value = 1\n    for _ in range(input_data):\n        value = [value]\n    return value';
      assert.ok((await python.run(nest, 128)).ok, '128 levels pass');
      const deep = await python.failure('output_too_deep', nest, 129);
      assert.equal(deep.message, "transform returned JSON nested more than 128 levels deep; a block's output may nest at most 128 levels of arrays and objects");
    });

    test('a MemoryError is reason memory, naming memory_mb', async () => {
      const code = py`
        def transform(input_data):
            kept = []
            while True:
                kept.append(bytearray(1024 * 1024))
      `;
      const failure = await python.failure('memory', code, null, { memoryMb: 64, inChild: true });
      assert.equal(failure.message, 'transform ran out of memory: it needed more than its memory limit of 64 MB (line 4)');
      assert.equal(failure.details.memory_mb, 64);
    });

    test('what the code prints is kept, bounded, beside the answer', async () => {
      const answer = await python.run('def transform(input_data):\n    print("checking", input_data)\n    print("x" * 20000)\n    return 1', 7);
      assert.ok(answer.ok);
      assert.ok(answer.logs?.startsWith('checking 7\nxxx'), answer.logs?.slice(0, 40));
      assert.match(answer.logs!, /\[… 3,\d{3} more characters not kept\]$/);
    });
  });

  describe('the standard library', () => {
    test('json, re, math, statistics, datetime, decimal, collections, itertools, functools, typing, dataclasses and enum work', async () => {
      const code = py`
        import json, re, math, statistics, datetime, decimal, collections, itertools, functools
        from dataclasses import dataclass, asdict
        from enum import Enum
        from typing import List, Optional

        class Status(Enum):
            PAID = "paid"

        @dataclass
        class Line:
            sku: str
            qty: int

        @functools.lru_cache(maxsize=None)
        def square(value: int) -> int:
            return value * value

        def transform(input_data) -> dict:
            lines: List[Line] = [Line(**line) for line in input_data["lines"]]
            counts = collections.Counter(line.sku for line in lines)
            due: Optional[datetime.date] = datetime.date.fromisoformat(input_data["date"]) + datetime.timedelta(days=30)
            return {
                "json": json.loads(json.dumps({"a": 1})),
                "re": re.findall(r"\d+", "a1b22c333"),
                "math": math.isclose(math.sqrt(2) ** 2, 2),
                "statistics": statistics.median([3, 1, 2]),
                "due": due.isoformat(),
                "decimal": str(decimal.Decimal("0.1") + decimal.Decimal("0.2")),
                "counter": counts.most_common(1),
                "pairs": list(itertools.combinations([1, 2, 3], 2)),
                "squares": [square(n) for n in range(4)],
                "dataclass": asdict(lines[0]),
                "enum": Status("paid").name,
            }
      `;
      assert.deepEqual(await python.output(code, { lines: [{ sku: 'A', qty: 1 }, { sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }], date: '2024-01-31' }), {
        json: { a: 1 },
        re: ['1', '22', '333'],
        math: true,
        statistics: 2,
        due: '2024-03-01',
        decimal: '0.3',
        counter: [['A', 2]],
        pairs: [
          [1, 2],
          [1, 3],
          [2, 3],
        ],
        squares: [0, 1, 4, 9],
        dataclass: { sku: 'A', qty: 1 },
        enum: 'PAID',
      });
    });

    test("Decimal, datetime, Enum and set values inside models are dumped as pydantic's mode='json' does; outside models they are refused", async () => {
      const schema = objectSchema({ amount: { type: 'number' }, at: { type: 'string', format: 'date-time' }, meta: { type: 'object' } }, ['amount']);
      const code = py`
        import datetime, decimal, enum
        from models import Output

        class Color(enum.Enum):
            RED = "red"

        def transform(input_data):
            meta = {"price": decimal.Decimal("1.50"), "day": datetime.date(2024, 1, 2), "color": Color.RED, "ids": {7}}
            return Output(amount=decimal.Decimal("2.5"), at=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), meta=meta, extra=decimal.Decimal("3"))
      `;
      const answer = await python.run(code, null, { outputSchema: schema });
      assert.ok(answer.ok, JSON.stringify(answer));
      assert.equal(answer.output_json, '{"amount":2.5,"at":"2024-01-02T03:04:05Z","meta":{"price":"1.50","day":"2024-01-02","color":"red","ids":[7]},"extra":"3"}');
      const plain = await python.failure('invalid_output', 'import decimal\n\ndef transform(input_data):\n    return {"total": decimal.Decimal("1.5")}', null);
      assert.equal(plain.message, 'transform returned output that is not JSON-serialisable: $.total is a Decimal, which JSON cannot represent');
    });
  });

  describe('fresh state for each call in one process', () => {
    test('module globals, the models module and its classes are new every time', async () => {
      const code = py`
        import sys
        import models
        from models import Output

        calls = globals().get("calls", 0) + 1

        def transform(input_data):
            seen = [calls, hasattr(models, "left_behind"), hasattr(Output, "patched"), "left_behind" in globals()]
            models.left_behind = True
            Output.patched = True
            globals()["left_behind"] = True
            return Output(seen=seen)
      `;
      const schema = objectSchema({ seen: { type: 'array' } });
      assert.deepEqual(await python.output(code, null, { outputSchema: schema }), { seen: [1, false, false, false] });
      assert.deepEqual(await python.output(code, null, { outputSchema: schema }), { seen: [1, false, false, false] });
    });
  });
});
