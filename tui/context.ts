/** What every screen gets from the shell: the data source, the keys, the size, the clock. */
import { createContext, useContext, useRef } from "react";
import type { Verifier } from "../src/index.js";
import type { DataSource } from "./data/source.js";
import type { Action, PromptKind, Screen } from "./keymap.js";

export interface Keys {
  verifiers: Verifier[];
  /** True when the keys were pinned (`--key`); false when they are the store's own claim. */
  pinned: boolean;
}

/** A screen's answer to an action: true when it used it. */
export type Handler = (a: Action) => boolean;

export interface Shell {
  source: DataSource;
  keys: Keys;
  /** Rows and columns the screen body may use. */
  body: { rows: number; columns: number };
  color: boolean;
  now: () => number;
  /** The event the screens share (Events selection, detail, lineage). */
  selected: number | undefined;
  select: (index: number) => void;
  /** Opens the detail of an event (pushes the screen). */
  openEvent: (index: number) => void;
  /** Opens the Events screen with this filter. */
  openFilter: (text: string) => void;
  /** A filter the Events screen should take (set by openFilter). */
  pendingFilter: string | undefined;
  takeFilter: () => void;
  /** Shows a message in the status line. */
  say: (text: string) => void;
  /** Asks for a line of text; `submit` answers an error to show, or undefined. */
  prompt: (kind: PromptKind, submit: (text: string) => string | undefined) => void;
  /** The screen's action handler; set on every render of the active screen. */
  handler: { current: Handler | undefined };
  /** Redraws the shell (the status line and the hint reads screen state). */
  status: { current: string };
  screen: Screen;
}

export const ShellContext = createContext<Shell | undefined>(undefined);

export function useShell(): Shell {
  const s = useContext(ShellContext);
  if (s === undefined) throw new Error("screens render inside the shell");
  return s;
}

/** Registers the active screen's handler, reading its latest state through a ref. */
export function useHandler(h: Handler): void {
  const shell = useShell();
  const ref = useRef(h);
  ref.current = h;
  shell.handler.current = (a) => ref.current(a);
}
