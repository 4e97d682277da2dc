import type { Workflow } from './workflow.js';

/**
 * The inputs of a `workflow_dispatch`, checked as GitHub checks them: the workflow must have the
 * trigger, every given input must be declared, and a required one without a default must be
 * given. Declared inputs not given take their default (or ''). The refusals are GitHub's 422s.
 */
export function dispatchInputs(
  wf: Workflow,
  given: Record<string, string>,
): { ok: true; inputs: Record<string, string> } | { ok: false; message: string } {
  if (!wf.dispatch)
    return { ok: false, message: "Workflow does not have 'workflow_dispatch' trigger" };
  const declared = wf.dispatch.inputs;
  const unexpected = Object.keys(given).filter((k) => !(k in declared));
  if (unexpected.length)
    return { ok: false, message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}` };
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    if (given[name] !== undefined) inputs[name] = given[name];
    else if (spec.required && spec.default === undefined)
      return { ok: false, message: `Required input '${name}' not provided` };
    else inputs[name] = spec.default ?? '';
  }
  return { ok: true, inputs };
}
