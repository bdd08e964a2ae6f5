/**
 * What a config reload does to the agent's inputs (issue #14). Inputs are matched by their
 * effective name (`inputName`): an unnamed input is `<type>-<position>`, so moving it is a
 * removal and an addition. An input whose config is unchanged is left alone (its
 * connections and file positions live on); a changed one is drained and started again.
 *
 * The plan also says which new inputs can start before the old ones stop, so a reload that
 * cannot bind a port fails before anything running was touched: a new listener starts first
 * unless it wants a port that an input going away still holds (then it starts after that
 * one is drained). File inputs always start after the old ones stopped: two tails of the
 * same files (and checkpoint) at once would read lines twice.
 */
import { changedPaths } from '../../config/diff.ts';
import { type AgentInput, inputName } from './line-formats.ts';

export interface PlannedInput {
  name: string;
  /** Position in the new config's inputs. */
  index: number;
  input: AgentInput;
  /** Starts while the inputs going away still run (see the module comment). */
  startFirst: boolean;
}

export interface InputPlan {
  /** New inputs, and new versions of changed ones, in config order. */
  start: PlannedInput[];
  /** Names of inputs to drain and close: removed ones and the old versions of changed ones. */
  stop: string[];
  /** Names whose config changed (in both `start` and `stop`). */
  changed: string[];
  /** Names left running as they are. */
  unchanged: string[];
}

type Listener = Extract<AgentInput, { listen: unknown }>;
const listenerOf = (i: AgentInput): Listener | undefined => ('listen' in i ? i : undefined);
/** UDP and TCP ports are separate spaces: a syslog-udp input never holds a TCP input's port. */
const transportOf = (i: Listener): 'udp' | 'tcp' => (i.type === 'syslog' && i.protocol === 'udp' ? 'udp' : 'tcp');

export function planInputs(before: readonly AgentInput[], after: readonly AgentInput[]): InputPlan {
  const old = new Map(before.map((input, index) => [inputName(input, index), input]));
  const plan: InputPlan = { start: [], stop: [], changed: [], unchanged: [] };
  const next = new Set<string>();
  const toStart: Omit<PlannedInput, 'startFirst'>[] = [];
  for (const [index, input] of after.entries()) {
    const name = inputName(input, index);
    next.add(name);
    const was = old.get(name);
    if (was === undefined) toStart.push({ name, index, input });
    else if (changedPaths(was, input).length > 0) {
      toStart.push({ name, index, input });
      plan.stop.push(name);
      plan.changed.push(name);
    } else plan.unchanged.push(name);
  }
  for (const name of old.keys()) if (!next.has(name)) plan.stop.push(name);
  // Ports the inputs going away hold until they are drained.
  const held = new Set<string>();
  for (const name of plan.stop) {
    const l = listenerOf(old.get(name)!);
    if (l !== undefined && l.listen.port !== 0) held.add(`${transportOf(l)}:${l.listen.port}`);
  }
  for (const s of toStart) {
    const l = listenerOf(s.input);
    const startFirst = l !== undefined && (l.listen.port === 0 || !held.has(`${transportOf(l)}:${l.listen.port}`));
    plan.start.push({ ...s, startFirst });
  }
  return plan;
}
