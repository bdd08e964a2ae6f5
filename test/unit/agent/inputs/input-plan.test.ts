/**
 * What a reload does to the agent's inputs: matched by effective name, unchanged ones left
 * alone, and a new listener started before the old inputs stop unless it needs a port one
 * of them holds (then the reload cannot fail before touching what runs).
 */
import { describe, expect, it } from 'vitest';
import { planInputs } from '../../../../agent/inputs/input-plan.ts';
import type { AgentInput } from '../../../../agent/inputs/line-formats.ts';
import { agentInputSchema } from '../../../../config/agent.ts';

const inputs = (...raw: Record<string, unknown>[]): AgentInput[] => raw.map((r) => agentInputSchema.parse(r));
const tcp = (name: string | undefined, port: number, extra: Record<string, unknown> = {}) => ({
  type: 'tcp',
  ...(name === undefined ? {} : { name }),
  listen: { port },
  ...extra,
});
const file = (name: string | undefined, extra: Record<string, unknown> = {}) => ({
  type: 'file',
  ...(name === undefined ? {} : { name }),
  include: ['/var/log/app/*.log'],
  ...extra,
});

describe('planInputs', () => {
  it.each([
    {
      what: 'nothing changed',
      before: [tcp('a', 5170), file('f')],
      after: [tcp('a', 5170), file('f')],
      plan: { start: [], stop: [], changed: [], unchanged: ['a', 'f'] },
    },
    {
      what: 'a named input moved in the list is the same input',
      before: [tcp('a', 5170), file('f')],
      after: [file('f'), tcp('a', 5170)],
      plan: { start: [], stop: [], changed: [], unchanged: ['f', 'a'] },
    },
    {
      what: 'one removed, one added on a free port: the new one starts first',
      before: [tcp('a', 5170), tcp('b', 5171)],
      after: [tcp('a', 5170), tcp('c', 5172)],
      plan: {
        start: [{ name: 'c', index: 1, startFirst: true }],
        stop: ['b'],
        changed: [],
        unchanged: ['a'],
      },
    },
    {
      what: 'a changed port is a restart; the new port is bound first',
      before: [tcp('a', 5170)],
      after: [tcp('a', 5180)],
      plan: { start: [{ name: 'a', index: 0, startFirst: true }], stop: ['a'], changed: ['a'], unchanged: [] },
    },
    {
      what: 'a changed defaultLogId on the same port: the old one must let go of the port first',
      before: [tcp('a', 5170)],
      after: [tcp('a', 5170, { defaultLogId: 'x' })],
      plan: { start: [{ name: 'a', index: 0, startFirst: false }], stop: ['a'], changed: ['a'], unchanged: [] },
    },
    {
      what: "an added input on a removed input's port waits for it",
      before: [tcp('b', 5171)],
      after: [tcp('c', 5171)],
      plan: { start: [{ name: 'c', index: 0, startFirst: false }], stop: ['b'], changed: [], unchanged: [] },
    },
    {
      what: "a syslog UDP input on a removed TCP input's port number does not wait (separate port spaces)",
      before: [tcp('b', 5171)],
      after: [{ type: 'syslog', name: 's', protocol: 'udp', listen: { port: 5171 } }],
      plan: { start: [{ name: 's', index: 0, startFirst: true }], stop: ['b'], changed: [], unchanged: [] },
    },
    {
      what: 'port 0 never waits',
      before: [tcp('a', 0)],
      after: [tcp('a', 0, { defaultLogId: 'x' })],
      plan: { start: [{ name: 'a', index: 0, startFirst: true }], stop: ['a'], changed: ['a'], unchanged: [] },
    },
    {
      what: 'a changed file input starts after the old one stopped (never two tails of the same files)',
      before: [file('f')],
      after: [file('f', { defaultLogId: 'x' })],
      plan: { start: [{ name: 'f', index: 0, startFirst: false }], stop: ['f'], changed: ['f'], unchanged: [] },
    },
    {
      what: 'unnamed inputs reordered: their default names change, so they are removed and added',
      before: [tcp(undefined, 5170), file(undefined)],
      after: [file(undefined), tcp(undefined, 5170)],
      plan: {
        start: [
          { name: 'file-1', index: 0, startFirst: false },
          { name: 'tcp-2', index: 1, startFirst: false },
        ],
        stop: ['tcp-1', 'file-2'],
        changed: [],
        unchanged: [],
      },
    },
  ])('$what', ({ before, after, plan }) => {
    const got = planInputs(inputs(...before), inputs(...after));
    expect({ ...got, start: got.start.map(({ name, index, startFirst }) => ({ name, index, startFirst })) }).toEqual(
      plan,
    );
  });

  it('hands over the new input config to start', () => {
    const got = planInputs(inputs(tcp('a', 5170)), inputs(tcp('a', 5170, { defaultLogId: 'x' })));
    expect(got.start[0]!.input).toMatchObject({ type: 'tcp', name: 'a', defaultLogId: 'x', listen: { port: 5170 } });
  });
});
