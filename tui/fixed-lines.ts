/**
 * Fixed-size lines: every Text child of a Box laid out as one row of `columns` cells, so Yoga
 * never asks Ink to measure its text.
 *
 * Why: Ink 6.8 caches the size of every text it measures in a module-level Map that is never
 * emptied (`build/measure-text.js`), and a text is measured each time it changes. A list that
 * follows a busy log shows new rows several times a second, so the cache grew for as long as
 * the TUI ran. (measured, `npx tsx bench/tui-text-cache.ts`: a 36-row list, every row new in
 * each of 2,000 frames) 208-215 bytes kept per distinct row text, 14.3-14.7 MB per 72,000 rows,
 * about 110 MB an hour at four frames a second; with the rows sized here, 2-12 bytes (noise),
 * and every frame drawn the same.
 * Yoga skips the measure function of a node whose width and height are both fixed.
 *
 * Every line drawn this way must be one line already cut to `columns` (the screens do that).
 */
import type { DOMElement } from "ink";
import { type RefObject, useLayoutEffect } from "react";

/** The width each text node was given (to resize on a terminal resize). */
const sized = new WeakMap<object, number>();

export function useFixedLines(ref: RefObject<DOMElement | null>, columns: number): void {
  useLayoutEffect(() => {
    const box = ref.current;
    if (box === null) return;
    for (const child of box.childNodes) {
      if (child.nodeName !== "ink-text" || child.yogaNode === undefined) continue;
      if (sized.get(child) === columns) continue;
      child.yogaNode.setWidth(columns);
      child.yogaNode.setHeight(1);
      sized.set(child, columns);
    }
  });
}
