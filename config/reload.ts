/**
 * Live config reload for a running component: on SIGHUP, and with `--watch-config` when
 * the file changes, the file is read and validated with the same checks as `spillway config
 * check`. A file that fails, or that changes a key the component only reads at start
 * (config/diff.ts RESTART_KEYS), is refused: logged at error with the same messages,
 * counted in `spillway_config_reloads_total{result}`, and the component keeps running on
 * the config it has. Otherwise the component's `apply` gets the new config; it either
 * applies all of it or throws, leaving the old one in force (nothing half-applies; a sink
 * process applies sink by sink, and a sink that cannot take its part stays on its old one).
 *
 * Reloads run one at a time; a signal or file change during one queues one more.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isSpillwayError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import { changedPaths, type ReloadingComponent, type RestartKey, restartMessage, restartRequired } from './diff.ts';
import { type LoadOptions, parseConfig } from './load.ts';
import type { SpillwayConfig } from './schema.ts';

export type ReloadResult = 'applied' | 'unchanged' | 'invalid' | 'restart-required' | 'failed';
export const RELOAD_RESULTS: readonly ReloadResult[] = [
  'applied',
  'unchanged',
  'invalid',
  'restart-required',
  'failed',
];

/** File events arrive in bursts (an editor writes, renames, chmods): act once they settle. */
export const WATCH_DEBOUNCE_MS = 250;

export interface ReloadOutcome {
  result: ReloadResult;
  /** Changed key paths (applied, restart-required). */
  changed: string[];
  /** The refusal: validation messages, the restart keys, or the apply error. */
  error?: string;
  restart?: RestartKey[];
}

export interface ConfigReloaderOptions {
  file: string;
  component: ReloadingComponent;
  /** The config the component runs on now. */
  current: SpillwayConfig;
  /** Applies the new config whole or throws (the old config stays in force). */
  apply: (next: SpillwayConfig, previous: SpillwayConfig, changed: string[]) => Promise<void>;
  /** Command-line overrides (e.g. `--port`) re-applied to every loaded file. */
  transform?: (config: SpillwayConfig) => SpillwayConfig;
  telemetry: Telemetry;
  log: Logger;
  /** Also reload when the file changes (`--watch-config`). */
  watch?: boolean;
  load?: LoadOptions;
}

/**
 * Thrown by an `apply` that changed part of what it runs and could not change the rest
 * (a sink process, sink by sink): the reload counts `failed`, but the new config is taken
 * as the one in force, so reverting the file is a change again, not "unchanged".
 */
export class PartialReloadError extends Error {}

/** SIGHUPs that arrived before the component's reloader listened. */
let early: { got: boolean; listener: () => void } | undefined;
const ignore = () => {};

/**
 * Call first thing in a command: until its ConfigReloader starts, a SIGHUP (whose default
 * action ends the process) is remembered and applied once the reloader starts.
 */
export function holdSighup(): void {
  if (early) return;
  const e = {
    got: false,
    listener: () => {
      e.got = true;
    },
  };
  early = e;
  process.on('SIGHUP', e.listener);
}

export class ConfigReloader {
  readonly #o: ConfigReloaderOptions;
  #current: SpillwayConfig;
  #running: Promise<ReloadOutcome> | undefined;
  #again = false;
  #lastText: string | undefined;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #stopped = false;
  #onHup = () => {
    this.#o.log.info({ file: this.#o.file }, 'SIGHUP: reloading the config');
    void this.reload('SIGHUP');
  };

  constructor(options: ConfigReloaderOptions) {
    this.#o = options;
    this.#current = options.current;
    options.telemetry.set('spillway_config_last_reload_successful', 1);
  }

  get current(): SpillwayConfig {
    return this.#current;
  }

  /**
   * Listens for SIGHUP and, with `watch`, for changes of the file. A SIGHUP held since start
   * (holdSighup), or with `watch` a file that changed since the component loaded it, is
   * reloaded now.
   */
  async start(): Promise<void> {
    process.on('SIGHUP', this.#onHup);
    const held = early?.got === true;
    if (early) process.off('SIGHUP', early.listener);
    early = undefined;
    if (held) void this.reload('SIGHUP');
    if (!this.#o.watch) return;
    this.#lastText = await readFile(this.#o.file, 'utf8').catch(() => undefined);
    if (!held && this.#lastText !== undefined && this.#differs(this.#lastText)) void this.reload('watch');
    // The directory, not the file: editors and Kubernetes ConfigMaps replace the file
    // (rename, symlink swap), which ends a watch on the file itself.
    const dir = path.dirname(path.resolve(this.#o.file));
    this.#watcher = watch(dir, { persistent: false }, () => {
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => void this.#changed(), WATCH_DEBOUNCE_MS);
      this.#debounce.unref();
    });
    this.#watcher.on('error', (err) =>
      this.#o.log.warn({ dir, err: err.message }, '--watch-config: watching the config directory failed'),
    );
  }

  /**
   * Stops listening; resolves once a reload in progress has finished, so the component can
   * close after it. A SIGHUP from now on is ignored rather than ending the process mid-close.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    process.off('SIGHUP', this.#onHup);
    if (!process.listeners('SIGHUP').includes(ignore)) process.on('SIGHUP', ignore);
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    await this.#running?.catch(() => {});
  }

  /** The config `text` gives this component: validated, command-line overrides applied. */
  #parse(text: string): SpillwayConfig {
    const config = parseConfig(text, { ...this.#o.load, file: this.#o.file });
    return this.#o.transform ? this.#o.transform(config) : config;
  }

  /** True when `text` is not the config the component runs (or not a valid one). */
  #differs(text: string): boolean {
    try {
      return changedPaths(this.#current, this.#parse(text)).length > 0;
    } catch {
      return true;
    }
  }

  async #changed(): Promise<void> {
    const text = await readFile(this.#o.file, 'utf8').catch(() => undefined);
    // Events for other files of the directory, or a write that left the content as it was.
    if (text === undefined || text === this.#lastText) return;
    this.#o.log.info({ file: this.#o.file }, '--watch-config: the config file changed; reloading');
    await this.reload('watch');
  }

  /** Reload now; resolves with what happened. Concurrent calls share the running reload and queue one more. */
  reload(trigger: 'SIGHUP' | 'watch' | 'api' = 'api'): Promise<ReloadOutcome> {
    if (this.#stopped) return Promise.resolve({ result: 'failed', changed: [], error: 'the component is stopping' });
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#reload(trigger).finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        void this.reload(trigger);
      }
    });
    return this.#running;
  }

  async #reload(trigger: string): Promise<ReloadOutcome> {
    const { file, component, telemetry, log } = this.#o;
    const done = (outcome: ReloadOutcome): ReloadOutcome => {
      telemetry.inc('spillway_config_reloads_total', { result: outcome.result });
      const ok = outcome.result === 'applied' || outcome.result === 'unchanged';
      telemetry.set('spillway_config_last_reload_successful', ok ? 1 : 0);
      const fields = { file, trigger, result: outcome.result, changed: outcome.changed };
      if (ok) log.info(fields, outcome.result === 'applied' ? 'config reloaded' : 'config reload: nothing changed');
      else log.error({ ...fields, err: outcome.error }, `config reload refused; still running on the previous config`);
      return outcome;
    };
    let next: SpillwayConfig;
    try {
      const text = await readFile(file, 'utf8').catch((err: Error) => {
        throw Object.assign(new Error(`${file}: cannot read the config file: ${err.message}`), {
          code: 'SPW_ERR_CONFIG_READ',
        });
      });
      // Remembered before validation: a broken file is refused once, not at every later event.
      this.#lastText = text;
      next = this.#parse(text);
    } catch (err) {
      return done({ result: 'invalid', changed: [], error: messageOf(err) });
    }
    const previous = this.#current;
    const changed = changedPaths(previous, next);
    if (changed.length === 0) return done({ result: 'unchanged', changed });
    const restart = restartRequired(changed, component);
    if (restart.length > 0) {
      return done({
        result: 'restart-required',
        changed,
        restart,
        error: restartMessage(restart, component),
      });
    }
    try {
      await this.#o.apply(next, previous, changed);
    } catch (err) {
      if (err instanceof PartialReloadError) this.#current = next;
      return done({ result: 'failed', changed, error: messageOf(err) });
    }
    this.#current = next;
    return done({ result: 'applied', changed });
  }
}

function messageOf(err: unknown): string {
  if (isSpillwayError(err)) return `${err.message} [${err.code}]`;
  return (err as Error)?.message ?? String(err);
}
