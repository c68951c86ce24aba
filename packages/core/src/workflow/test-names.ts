/**
 * A name for a test created without one: the case it comes from and what it checks,
 * `<case> · <kind> <path>` (e.g. `large-invoice · equals is_valid`). One rule for every place a
 * test is created from a case (CLI files, workflow YAML), so the same case gets the same name.
 */
export interface NamedCheck {
  target: { output_handle_id: string; path?: string | null };
  condition: { kind: string };
}

/** The output an assertion reads when it names none. */
export const DEFAULT_OUTPUT_HANDLE = 'output-json-0';

export function derivedTestName(caseName: string, assertion: NamedCheck): string {
  const { target, condition } = assertion;
  const handle = target.output_handle_id === DEFAULT_OUTPUT_HANDLE ? '' : target.output_handle_id;
  const where = [handle, target.path ?? ''].filter(Boolean).join('.');
  return `${caseName} · ${condition.kind}${where ? ` ${where}` : ''}`;
}
