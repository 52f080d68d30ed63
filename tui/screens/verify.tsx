/**
 * Screen 4: the verifier, run by the data source off the UI thread (SHA-256 in a worker
 * thread, reads through async I/O), with a progress bar, rate and ETA, the failures as they
 * are found, and `x` to cancel. The run goes on when another screen is shown.
 */
import { Box, Text } from "ink";
import { useEffect, useReducer, useState } from "react";
import {
  type Failure,
  isLogsealError,
  type VerifyProgress,
  type VerifyReport,
} from "../../src/index.js";
import { type Keys, useHandler, useShell } from "../context.js";
import type { DataSource } from "../data/source.js";
import { bar, count, duration } from "../format.js";
import { type Line, Lines, moveSelection } from "./scroll.js";

/** The entry a failure points at, when it names one. */
export function failureEntry(f: Failure): number | undefined {
  switch (f.kind) {
    case "entry":
      return f.index;
    case "bundle":
      return f.entry;
    case "tile":
      return f.entry;
    default:
      return undefined;
  }
}

export class VerifyModel {
  state: "idle" | "running" | "done" | "cancelled" | "error" = "idle";
  progress: VerifyProgress | undefined;
  failures: Failure[] = [];
  report: VerifyReport | undefined;
  error: string | undefined;
  started = 0;
  finished = 0;
  #abort: AbortController | undefined;
  #listeners = new Set<() => void>();
  #last = 0;

  subscribe(f: () => void): () => void {
    this.#listeners.add(f);
    return () => this.#listeners.delete(f);
  }

  #changed(throttle = false): void {
    const now = Date.now();
    if (throttle && now - this.#last < 100) return;
    this.#last = now;
    for (const f of this.#listeners) f();
  }

  start(source: DataSource, keys: Keys): void {
    if (this.state === "running") return;
    this.#abort = new AbortController();
    this.state = "running";
    this.failures = [];
    this.report = undefined;
    this.error = undefined;
    this.progress = undefined;
    this.started = Date.now();
    this.#changed();
    source
      .verify({
        keys: keys.verifiers,
        signal: this.#abort.signal,
        onProgress: (p) => {
          this.progress = p;
          this.#changed(true);
        },
        onFailure: (f) => {
          this.failures.push(f);
          this.#changed();
        },
      })
      .then(
        (r) => {
          this.report = r;
          this.state = "done";
          this.finished = Date.now();
          this.#changed();
        },
        (e: unknown) => {
          if (this.#abort?.signal.aborted) this.state = "cancelled";
          else {
            this.state = "error";
            this.error = isLogsealError(e) ? `${e.code}: ${e.message}` : String(e);
          }
          this.#changed();
        },
      );
  }

  cancel(): void {
    this.#abort?.abort(new Error("cancelled"));
  }
}

export function VerifyScreen({ model }: { model: VerifyModel }) {
  const shell = useShell();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [sel, setSel] = useState({ sel: 0, top: 0 });
  useEffect(() => model.subscribe(redraw), [model]);
  // Opening the screen starts a run when none was made yet.
  useEffect(() => {
    if (model.state === "idle") model.start(shell.source, shell.keys);
  }, [model, shell.source, shell.keys]);
  const height = Math.max(1, shell.body.rows - 5);
  useHandler((a) => {
    if (a.type === "start") {
      model.start(shell.source, shell.keys);
      return true;
    }
    if (a.type === "cancel") {
      if (model.state === "running") model.cancel();
      else shell.say("no verification running");
      return true;
    }
    if (a.type === "open") {
      const f = model.failures[sel.sel];
      const i = f === undefined ? undefined : failureEntry(f);
      if (i !== undefined) shell.openEvent(i);
      else shell.say("this failure names no event");
      return true;
    }
    return moveSelection(setSel, model.failures.length, height, a);
  });
  const p = model.progress;
  const width = Math.max(10, shell.body.columns - 40);
  const frac = p === undefined || p.total === 0 ? 0 : p.done / p.total;
  const r = model.report;
  const eta = p === undefined || p.rate <= 0 ? Number.NaN : (p.total - p.done) / p.rate;
  const elapsed =
    ((model.state === "running" ? Date.now() : model.finished || Date.now()) - model.started) /
    1000;
  // After the run, the rate over the whole run (the last progress event may carry none).
  const rate =
    model.state === "done" && r !== undefined
      ? r.entries / Math.max(elapsed, 0.001)
      : (p?.rate ?? 0);
  const status =
    model.state === "running"
      ? `running: ${p?.phase ?? "starting"}`
      : model.state === "done" && r !== undefined
        ? r.ok
          ? `✔ OK: ${count(r.entries)} entries, ${r.tiles} tiles, ${r.checkpoints.length} checkpoints check out (${shell.keys.pinned ? "pinned key" : "store's own key, not pinned"})`
          : `✖ FAILED: ${count(r.failures.length + r.moreFailures)} failures`
        : model.state === "cancelled"
          ? "cancelled (s starts again)"
          : model.state === "error"
            ? `error: ${model.error}`
            : "idle (s starts)";
  const lines: Line[] = model.failures.map((f, i) => ({
    text: `✖ ${f.kind.padEnd(11)} ${f.message}`,
    bad: true,
    selected: i === sel.sel,
  }));
  return (
    <Box flexDirection="column">
      <Text>{`verify ${shell.source.label}: ${status}`.slice(0, shell.body.columns)}</Text>
      <Text>
        {`${bar(model.state === "done" ? 1 : frac, width)} ${Math.floor((model.state === "done" ? 1 : frac) * 100)}%  ${count(p?.done ?? 0)}/${count(p?.total ?? 0)}`}
      </Text>
      <Text>
        {`rate ${count(Math.round(rate))} entries/s  ETA ${model.state === "running" ? duration(eta) : "-"}  elapsed ${duration(elapsed)}`}
      </Text>
      <Text>{`failures: ${model.failures.length}${model.report?.moreFailures ? ` (+${model.report.moreFailures} not listed)` : ""}`}</Text>
      <Lines
        lines={lines}
        top={sel.top}
        rows={height}
        columns={shell.body.columns}
        color={shell.color}
      />
    </Box>
  );
}
