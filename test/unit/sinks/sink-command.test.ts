/** `spillway sink` options that are refused before any config is read or sink started. */
import { describe, expect, it } from 'vitest';
import { sinkCommand } from '../../../sinks/sink-command.ts';

describe('spillway sink', () => {
  it.each([
    [['--config', 'x.yaml', '--metrics-host', '0.0.0.0'], 'sink: --metrics-host ADDR goes with --metrics-port N'],
    [
      ['--config', 'x.yaml', '--metrics-port', '7071', '--metrics-host', ''],
      'sink: --metrics-host ADDR goes with --metrics-port N',
    ],
    [['--config', 'x.yaml', '--metrics-port', 'abc'], '--metrics-port: expected an integer 0..65535, found "abc"'],
  ])('refuses %j: %s', async (args, message) => {
    await expect(sinkCommand(args)).rejects.toMatchObject({ code: 'SPW_ERR_CLI_USAGE', message });
  });
});
