/**
 * The shell: a breadcrumb header, the active screen, a status or prompt line and a key hint,
 * at most `rows - 1` rows tall (a frame of the terminal's full height makes Ink 6 clear the
 * screen on every frame, measured in the anchors). One input router for every key.
 */
import { Box, type DOMElement, Text, useApp, useInput } from "ink";
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import type { Soa } from "../src/index.js";
import { type Handler, type Keys, type Shell, ShellContext } from "./context.js";
import type { DataSource } from "./data/source.js";
import { useFixedLines } from "./fixed-lines.js";
import { count } from "./format.js";
import {
  type Action,
  helpLines,
  keyName,
  type PromptKind,
  resolve,
  SCREENS,
  type Screen,
} from "./keymap.js";
import { CheckpointsScreen } from "./screens/checkpoints.js";
import { ControlsScreen } from "./screens/controls.js";
import { DetailScreen } from "./screens/detail.js";
import { EventsScreen } from "./screens/events.js";
import { EventsModel } from "./screens/events-model.js";
import { LineageScreen } from "./screens/lineage.js";
import { Lines } from "./screens/scroll.js";
import { VerifyModel, VerifyScreen } from "./screens/verify.js";

export interface AppProps {
  source: DataSource;
  keys: Keys;
  size: { rows: number; columns: number };
  color: boolean;
  now?: () => number;
  /** The Statement of Applicability the Controls screen reads (`--soa FILE`). */
  soa?: Soa | undefined;
  /** Called when the user quits (q at the root, Ctrl-C). */
  onQuit?: () => void;
  /**
   * Called on each key (`frames.ts`): the key's frame is then drawn at once, never held back
   * by Ink's frame throttle behind a follow tick's frame.
   */
  onKey?: () => void;
}

const TITLES: Record<Screen, string> = {
  events: "events",
  detail: "event",
  checkpoints: "checkpoints",
  verify: "verify",
  lineage: "lineage",
  controls: "controls",
};

const HINTS: Record<Screen, string> = {
  events: "j/k move  / search  f filter  : goto  Enter open  m mark  F follow  ? keys  q quit",
  detail: "j/k scroll  v re-check proof  Esc back  1-6 screens  ? keys",
  checkpoints: "j/k select  Enter last event  Esc back  ? keys",
  verify: "s start  x cancel  Enter open failure  Esc back  ? keys",
  lineage: "j/k move  l/h expand/collapse  Enter open edge's event  Esc back  ? keys",
  controls: "j/k move  r period  Enter events of control  Esc back  ? keys",
};

interface Prompt {
  kind: PromptKind;
  text: string;
  submit: (text: string) => string | undefined;
}

export function App(props: AppProps) {
  const { source, keys, size, color } = props;
  const now = props.now ?? Date.now;
  const app = useApp();
  const [screen, setScreen] = useState<Screen>("events");
  const [stack, setStack] = useState<Screen[]>([]);
  const [help, setHelp] = useState(false);
  const [helpTop, setHelpTop] = useState(0);
  const [prompt, setPrompt] = useState<Prompt | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  // The shared selection lives in a ref: the Events screen updates it on every move, and a
  // state here would re-render the shell a second time per key (measured: two frames per j/k).
  // The screens that show it (detail, lineage) render when they are switched to.
  const selectedRef = useRef<number | undefined>(source.size() > 0 ? source.size() - 1 : undefined);
  const selected = selectedRef.current;
  const [pendingFilter, setPendingFilter] = useState<string | undefined>();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const handler = useRef<Handler | undefined>(undefined);
  const status = useRef("");
  // Header, status line, hint line; the body gets the rest of rows - 1.
  const body = { rows: Math.max(3, size.rows - 1 - 3), columns: size.columns };
  // Both live as long as the shell (the source never changes under it).
  const [events] = useState(() => new EventsModel(source, Math.max(1, body.rows - 2)));
  const [verify] = useState(() => new VerifyModel());
  const [size0, setSize0] = useState(source.size());

  useEffect(() => {
    // One state update per growth: the model takes the new size without notifying, and the
    // shell's re-render draws the Events screen with it (two updates outside an Ink event made
    // two frames per tick, each re-laid out and drawn).
    const stop = source.follow((n) => {
      events.grow(n, false);
      setSize0(n);
    });
    return () => {
      stop();
      events.dispose();
    };
  }, [source, events]);

  const go = useCallback(
    (next: Screen) => {
      if (next === screen) return;
      setStack((s) => [...s, screen].slice(-20));
      setScreen(next);
      setMessage(undefined);
    },
    [screen],
  );

  const quit = useCallback(() => {
    verify.cancel();
    props.onQuit?.();
    app.exit();
  }, [app, props.onQuit, verify]);

  const back = useCallback(() => {
    if (stack.length === 0) return false;
    setScreen(stack[stack.length - 1] as Screen);
    setStack((s) => s.slice(0, -1));
    setMessage(undefined);
    return true;
  }, [stack]);

  const shell: Shell = {
    source,
    keys,
    body,
    color,
    now,
    selected,
    select: (i) => {
      selectedRef.current = i;
    },
    openEvent: (i) => {
      selectedRef.current = i;
      go("detail");
    },
    openFilter: (text) => {
      setPendingFilter(text);
      go("events");
    },
    pendingFilter,
    takeFilter: () => setPendingFilter(undefined),
    say: setMessage,
    prompt: (kind, submit) => {
      promptText.current = "";
      promptRef.current = { kind, text: "", submit };
      setPrompt(promptRef.current);
    },
    handler,
    status,
    screen,
  };

  const act = (a: Action) => {
    switch (a.type) {
      case "quit":
        if (a.type === "quit" && (stack.length === 0 || screen === "events")) quit();
        else back();
        return;
      case "help":
        setHelp(true);
        setHelpTop(0);
        return;
      case "screen":
        go(a.screen);
        return;
      case "redraw":
        redraw();
        return;
      default:
        break;
    }
    if (handler.current?.(a)) return;
    if (a.type === "back") {
      if (!back()) setMessage("at the root: q quits");
    } else if (a.type === "pane") {
      const i = SCREENS.indexOf(screen);
      go(SCREENS[(i + 1) % SCREENS.length] as Screen);
    }
  };

  const promptText = useRef("");
  // The prompt as the next key must see it, set synchronously (state lags one render).
  const promptRef = useRef<Prompt | undefined>(undefined);
  promptRef.current = prompt;
  const edit = (f: (t: string) => string) => {
    promptText.current = f(promptText.current);
    const text = promptText.current;
    setPrompt((p) => (p === undefined ? p : { ...p, text }));
  };
  const latest = useRef<
    (input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]) => void
  >(() => {});
  latest.current = (input, key) => {
    if (key.ctrl && input === "c") {
      quit();
      return;
    }
    const open = promptRef.current;
    if (open !== undefined) {
      // Functional updates: keys typed faster than a render must not see a stale text.
      const close = () => {
        promptRef.current = undefined;
        setPrompt(undefined);
      };
      if (key.escape) close();
      else if (key.return || input === "\r") {
        close();
        setMessage(open.submit(promptText.current));
      } else if (key.backspace || key.delete) edit((t) => t.slice(0, -1));
      else if (key.ctrl && input === "u") edit(() => "");
      else if (!key.ctrl && !key.meta && input.length > 0) {
        // A paste (or keys typed fast) arrives as one chunk; an Enter at its end submits.
        const enter = input.endsWith("\r");
        const text = [...(enter ? input.slice(0, -1) : input)].filter((c) => c >= " ").join("");
        edit((t) => t + text);
        if (enter) {
          close();
          setMessage(open.submit(promptText.current));
        }
      }
      return;
    }
    // Keys typed faster than the terminal is read arrive as one chunk. Run it key by key when
    // it is a held key (`jjjj`), a few keys, or a key that opens a prompt followed by the
    // prompt's text (`/needle`); anything else is a paste and never runs as commands.
    if (input.length > 1 && !key.ctrl && !key.meta && /^[ -~]+\r?$/.test(input)) {
      const first = resolve(screen, input[0] as string);
      const keys = input.replace(/\r$/, "");
      const held = [...keys].every((c) => c === keys[0]);
      if (!(held || input.length <= 3 || first?.type === "prompt")) return;
      for (let i = 0; i < input.length; i++) {
        if (promptRef.current !== undefined) {
          latest.current(input.slice(i), { ...key });
          return;
        }
        const ch = input[i] as string;
        latest.current(ch, ch === "\r" ? { ...key, return: true } : { ...key });
      }
      return;
    }
    const name = keyName(input, key);
    if (name === undefined) return;
    if (help) {
      if (name === "esc" || name === "?" || name === "q") setHelp(false);
      else if (name === "j" || name === "down") setHelpTop((t) => t + 1);
      else if (name === "k" || name === "up") setHelpTop((t) => Math.max(0, t - 1));
      return;
    }
    const a = resolve(screen, name);
    if (a === undefined) return;
    if (message !== undefined) setMessage(undefined);
    act(a);
  };
  const onKey = useRef(props.onKey);
  onKey.current = props.onKey;
  // One stable handler (Ink 6 re-subscribes useInput whenever the handler changes).
  const onInput = useCallback(
    (input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]) => {
      onKey.current?.();
      latest.current(input, key);
    },
    [],
  );
  useInput(onInput);

  const crumbs = `logseal ❭ ${TITLES[screen]}${screen === "detail" && selected !== undefined ? ` ${selected}` : ""}`;
  const where = `${source.kind} ${source.label}  ${count(size0)} entries`;
  const headerText = `${crumbs}  ${where}`.slice(0, size.columns);
  const promptLabel =
    prompt === undefined
      ? ""
      : prompt.kind === "filter"
        ? "filter: "
        : prompt.kind === "search"
          ? "/"
          : ":";
  const bottom = prompt !== undefined ? `${promptLabel}${prompt.text}_` : (message ?? "");

  // The header, status and hint lines (the header's count changes with every follow tick).
  const frame = useRef<DOMElement>(null);
  useFixedLines(frame, size.columns);

  let content: React.ReactNode;
  if (help) {
    const lines = [
      { text: `keys: ${TITLES[screen]} (Esc or ? closes)`, bold: true },
      ...helpLines(screen).map((l) => ({ text: `  ${l.keys.padEnd(22)} ${l.help}` })),
    ];
    content = (
      <Lines
        lines={lines}
        top={Math.min(helpTop, Math.max(0, lines.length - body.rows))}
        rows={body.rows}
        columns={size.columns}
        color={color}
      />
    );
  } else {
    switch (screen) {
      case "events":
        content = <EventsScreen model={events} />;
        break;
      case "detail":
        content = <DetailScreen />;
        break;
      case "checkpoints":
        content = <CheckpointsScreen />;
        break;
      case "verify":
        content = <VerifyScreen model={verify} />;
        break;
      case "lineage":
        content = <LineageScreen />;
        break;
      case "controls":
        content = <ControlsScreen soa={props.soa} />;
        break;
    }
  }

  return (
    <ShellContext.Provider value={shell}>
      <Box flexDirection="column" height={size.rows - 1} width={size.columns} ref={frame}>
        <Text bold>{headerText}</Text>
        {/* Clipped vertically only: every screen cuts its lines to the width itself, and a
            horizontal clip made Ink slice every line of every frame (slice-ansi: 4% of the
            benchmark's CPU, measured with --cpu-prof). */}
        <Box flexDirection="column" height={body.rows} overflowY="hidden">
          {content}
        </Box>
        <Text color={color && message?.startsWith("E_") ? "red" : undefined}>
          {bottom.slice(0, size.columns) || " "}
        </Text>
        <Text dimColor={color}>{(help ? "Esc close" : HINTS[screen]).slice(0, size.columns)}</Text>
      </Box>
    </ShellContext.Provider>
  );
}
