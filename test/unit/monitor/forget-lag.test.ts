import { describe, expect, it } from 'vitest';
import { Telemetry } from '../../../core/telemetry.ts';
import { forgetLag } from '../../../monitor/metrics.ts';

describe('forgetLag (a monitor reload)', () => {
  it('drops the gauges of a removed sink and of a logId that left a sink, and keeps the rest', async () => {
    const t = new Telemetry('monitor');
    t.set('spillway_lag_state', 1, { sink: 'old', state: 'stalled' });
    t.set('spillway_consumer_lag_records', 5, { sink: 'old' });
    t.set('spillway_consumer_lag_records', 7, { sink: 'kept' });
    t.set('spillway_lag_threshold_breached', 1, { sink: 'kept', logid: 'gone' });
    t.set('spillway_lag_threshold_breached', 1, { sink: 'kept', logid: 'stays' });
    t.set('spillway_logid_lag_records', 3, { sink: 'old', logid: 'stays' });
    await forgetLag(
      t,
      {
        sinks: ['old', 'kept'],
        pairs: [
          ['kept', 'gone'],
          ['kept', 'stays'],
          ['old', 'stays'],
        ],
      },
      { sinks: ['kept'], pairs: [['kept', 'stays']] },
    );
    const body = (await t.expose()).body;
    const series = body.split('\n').filter((l) => l.startsWith('spillway_') && !l.startsWith('spillway_config'));
    expect(series.sort()).toEqual([
      'spillway_consumer_lag_records{component="monitor",sink="kept"} 7',
      'spillway_lag_threshold_breached{component="monitor",sink="kept",logid="stays"} 1',
    ]);
  });
});
