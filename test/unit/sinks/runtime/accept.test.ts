import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../config/load.ts';
import { planPlacement } from '../../../../router/placement-plan.ts';
import { acceptFor } from '../../../../sinks/runtime/sink-service.ts';
import { baseDocument } from '../../config/fixtures.ts';

/** baseDocument plus logId `x` for sink `search`: `archive` owns the fallback logId `unknown`. */
function withX() {
  const doc = baseDocument();
  doc.logIds.push({ id: 'x', name: 'X', owner: 'o', importance: 'A', sinks: ['search'], dedicated: true });
  return validateConfig(doc, 'test');
}

describe('acceptFor: which records a sink takes, judged by where they were written', () => {
  const config = withX();
  const plan = planPlacement(config);
  const fallback = plan.logIds.find((l) => l.id === 'unknown')!;
  const x = plan.logIds.find((l) => l.id === 'x')!;
  const archive = acceptFor(config, { name: 'archive' });
  const search = acceptFor(config, { name: 'search' });

  it('a configured logId goes to its sinks, wherever it is read', () => {
    expect(search('x', x.cluster, x.topics.info!)).toBe('x');
    expect(archive('x', x.cluster, x.topics.info!)).toBeUndefined();
    expect(search('payments', 'main', 'spw.s.info.h1')).toBe('payments');
  });

  it('an unknown logId, and a record without one, go to the owner of the fallback logId', () => {
    expect(archive('mystery', fallback.cluster, fallback.topics.info!)).toBe('mystery');
    expect(archive(undefined, fallback.cluster, fallback.topics.info!)).toBe('unknown');
    expect(search('mystery', fallback.cluster, fallback.topics.info!)).toBeUndefined();
  });

  it("a logId configured by a reload, found on the fallback's topic (written while it was unknown), stays with the fallback's owner", () => {
    expect(archive('x', fallback.cluster, fallback.topics.info!)).toBe('x');
    // ...and only with it: the sink that has x now takes x from x's own topics.
    expect(search('x', fallback.cluster, fallback.topics.info!)).toBeUndefined();
    // On the same topic name on another cluster it was not placed as unknown.
    const other = fallback.cluster === 'main' ? 'aux' : 'main';
    expect(archive('x', other, fallback.topics.info!)).toBeUndefined();
  });
});

describe('acceptFor after a placement move off a topic shared with the fallback logId', () => {
  it("keeps taking the moved logId's records left on its old topic", () => {
    // A C logId whose hash bucket is the fallback logId's (found by trying ids: placement is a pure hash).
    const docWith = (id: string) => {
      const doc = baseDocument();
      doc.logIds.push({ id, name: 'Old', owner: 'o', importance: 'C', sinks: ['search'] });
      return doc;
    };
    const info = (c: ReturnType<typeof validateConfig>, id: string) => {
      const l = planPlacement(c).logIds.find((x) => x.id === id)!;
      return `${l.cluster}/${l.topics.info}`;
    };
    const id = Array.from({ length: 50 }, (_, i) => `old${i}`).find((c) => {
      const cfg = validateConfig(docWith(c), 'test');
      return info(cfg, c) === info(cfg, 'unknown');
    })!;
    const doc = docWith(id);
    const before = validateConfig(doc, 'test');
    doc.logIds[2].dedicated = true;
    const after = validateConfig(doc, 'test');
    const [cluster, topic] = info(before, id).split('/') as [string, string];
    // Without the earlier placement the record would look written-as-unknown and go to archive.
    expect(acceptFor(after, { name: 'search' })(id, cluster, topic)).toBeUndefined();
    expect(acceptFor(after, { name: 'search' }, [before])(id, cluster, topic)).toBe(id);
    expect(acceptFor(after, { name: 'archive' }, [before])(id, cluster, topic)).toBeUndefined();
  });
});
