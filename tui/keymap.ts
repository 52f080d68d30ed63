/**
 * The keys, as data: the input router resolves a key through these tables and the `?` overlay
 * prints the same tables, so the help can never disagree with what a key does.
 */

export type Screen = "events" | "detail" | "checkpoints" | "verify" | "lineage" | "controls";

export const SCREENS: readonly Screen[] = [
  "events",
  "detail",
  "checkpoints",
  "verify",
  "lineage",
  "controls",
];

export type Action =
  | { type: "quit" }
  | { type: "back" }
  | { type: "help" }
  | { type: "screen"; screen: Screen }
  | { type: "pane" }
  | { type: "move"; by: number }
  | { type: "page"; by: number }
  | { type: "top" }
  | { type: "bottom" }
  | { type: "follow" }
  | { type: "prompt"; kind: PromptKind }
  | { type: "hit"; dir: 1 | -1 }
  | { type: "mark" }
  | { type: "toMark"; dir: 1 | -1 }
  | { type: "open" }
  | { type: "start" }
  | { type: "cancel" }
  | { type: "expand"; open: boolean }
  | { type: "toggle" }
  | { type: "period" }
  | { type: "clearFilter" }
  | { type: "redraw" };

export type PromptKind = "filter" | "search" | "goto";

export interface Binding {
  /** Key names as `keyName` gives them. */
  keys: readonly string[];
  action: Action;
  help: string;
}

const move: Binding[] = [
  { keys: ["j", "down"], action: { type: "move", by: 1 }, help: "down" },
  { keys: ["k", "up"], action: { type: "move", by: -1 }, help: "up" },
  { keys: ["pagedown", "space", "ctrl-d"], action: { type: "page", by: 1 }, help: "page down" },
  { keys: ["pageup", "b", "ctrl-u"], action: { type: "page", by: -1 }, help: "page up" },
  { keys: ["g", "home"], action: { type: "top" }, help: "first" },
  { keys: ["G", "end"], action: { type: "bottom" }, help: "last" },
];

/** `bindings` without `key` (a screen that gives the key another meaning). */
function without(bindings: readonly Binding[], key: string): Binding[] {
  return bindings.map((b) => ({ ...b, keys: b.keys.filter((k) => k !== key) }));
}

export const GLOBAL: readonly Binding[] = [
  { keys: ["1"], action: { type: "screen", screen: "events" }, help: "events" },
  { keys: ["2"], action: { type: "screen", screen: "detail" }, help: "event detail" },
  { keys: ["3"], action: { type: "screen", screen: "checkpoints" }, help: "checkpoints" },
  { keys: ["4"], action: { type: "screen", screen: "verify" }, help: "verify" },
  { keys: ["5"], action: { type: "screen", screen: "lineage" }, help: "lineage" },
  { keys: ["6"], action: { type: "screen", screen: "controls" }, help: "controls" },
  { keys: ["tab"], action: { type: "pane" }, help: "next pane" },
  { keys: ["?"], action: { type: "help" }, help: "keys of this screen" },
  { keys: ["esc"], action: { type: "back" }, help: "back" },
  { keys: ["q"], action: { type: "quit" }, help: "quit (at the root; else back)" },
  { keys: ["ctrl-c"], action: { type: "quit" }, help: "quit, always" },
  { keys: ["ctrl-l"], action: { type: "redraw" }, help: "redraw" },
];

export const KEYMAP: Readonly<Record<Screen, readonly Binding[]>> = {
  events: [
    ...move,
    { keys: ["F"], action: { type: "follow" }, help: "follow the tail (toggle)" },
    { keys: ["enter"], action: { type: "open" }, help: "open the event" },
    {
      keys: ["f", "&"],
      action: { type: "prompt", kind: "filter" },
      help: "filter (actor=alice !outcome=success)",
    },
    { keys: ["c"], action: { type: "clearFilter" }, help: "clear the filter" },
    { keys: ["/"], action: { type: "prompt", kind: "search" }, help: "search (regex)" },
    { keys: ["n"], action: { type: "hit", dir: 1 }, help: "next hit" },
    { keys: ["N"], action: { type: "hit", dir: -1 }, help: "previous hit" },
    { keys: [":"], action: { type: "prompt", kind: "goto" }, help: "go to index, time or N%" },
    { keys: ["m"], action: { type: "mark" }, help: "mark / unmark" },
    { keys: ["u"], action: { type: "toMark", dir: 1 }, help: "next mark" },
    { keys: ["U"], action: { type: "toMark", dir: -1 }, help: "previous mark" },
  ],
  detail: [...move, { keys: ["v"], action: { type: "start" }, help: "check the proof again" }],
  checkpoints: [...move, { keys: ["enter"], action: { type: "open" }, help: "its last event" }],
  verify: [
    ...move,
    { keys: ["s"], action: { type: "start" }, help: "start verifying" },
    { keys: ["x"], action: { type: "cancel" }, help: "cancel" },
    { keys: ["enter"], action: { type: "open" }, help: "open the failure's event" },
  ],
  lineage: [
    // Space folds a tree node here, as in file trees, rather than paging.
    ...without(move, "space"),
    { keys: ["l", "right"], action: { type: "expand", open: true }, help: "expand" },
    { keys: ["h", "left"], action: { type: "expand", open: false }, help: "collapse" },
    { keys: ["space"], action: { type: "toggle" }, help: "expand / collapse" },
    { keys: ["enter"], action: { type: "open" }, help: "open the edge's event" },
  ],
  controls: [
    ...move,
    { keys: ["r"], action: { type: "period" }, help: "period: all, 30d, 7d, 24h" },
    { keys: ["enter"], action: { type: "open" }, help: "events of this control" },
  ],
};

/** What Ink reports for a key press (the fields the router reads). */
export interface InkKey {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

/**
 * One name per key press. Ink 6 flags a lone Esc as meta too, so `meta` alone is never read
 * as Alt; Backspace (0x7F) arrives as `delete`.
 */
export function keyName(input: string, key: InkKey): string | undefined {
  if (key.escape) return "esc";
  if (key.return) return "enter";
  if (key.tab) return key.shift ? "shift-tab" : "tab";
  if (key.upArrow) return "up";
  if (key.downArrow) return "down";
  if (key.leftArrow) return "left";
  if (key.rightArrow) return "right";
  if (key.pageUp) return "pageup";
  if (key.pageDown) return "pagedown";
  if (key.home) return "home";
  if (key.end) return "end";
  if (key.backspace || key.delete) return "backspace";
  if (key.ctrl && input.length === 1) return `ctrl-${input.toLowerCase()}`;
  if (input === " ") return "space";
  // A paste arrives as one chunk: never run it as a burst of commands.
  if (input.length === 1) return input;
  return undefined;
}

/** The action a key does on `screen`: the screen's table first, then the global one. */
export function resolve(screen: Screen, name: string): Action | undefined {
  for (const b of KEYMAP[screen]) if (b.keys.includes(name)) return b.action;
  for (const b of GLOBAL) if (b.keys.includes(name)) return b.action;
  return undefined;
}

/** The help overlay's lines for `screen`, from the same tables. */
export function helpLines(screen: Screen): Array<{ keys: string; help: string }> {
  const line = (b: Binding) => ({ keys: b.keys.join(" "), help: b.help });
  return [...KEYMAP[screen].map(line), ...GLOBAL.map(line)];
}
