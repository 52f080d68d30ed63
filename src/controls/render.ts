/**
 * The evidence report drawn as Markdown or as one self-contained HTML page: inline CSS, no
 * scripts, no external resources (it opens offline, in any browser, from a file or an e-mail).
 */
import type { ControlEvidence, EvidenceReport } from "./evidence.js";

function esc(s: string): string {
  return s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Markdown table cell: no pipes or line breaks. */
function cell(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replace(/\r?\n/g, " ");
}

function period(r: EvidenceReport): string {
  return `${r.period.from ?? "the beginning"} to ${r.period.to ?? "the checkpoint"}`;
}

function when(c: ControlEvidence, k: "first" | "last"): string {
  const v = c[k];
  return v === undefined ? "" : `${v.ts} (#${v.index})`;
}

/** The report as Markdown. */
export function evidenceToMarkdown(r: EvidenceReport): string {
  const s = r.summary;
  const out: string[] = [];
  out.push(`# ISO/IEC 27001:2022 evidence: ${r.origin}`, "");
  out.push(`- period: ${period(r)} (event time)`);
  out.push(`- checkpoint: size ${r.checkpoint.size}, root \`${r.checkpoint.root}\``);
  out.push(`- verifier key: \`${r.vkey}\``);
  out.push(
    `- Statement of Applicability: ${r.soa.source}${r.soa.version ? `, version ${r.soa.version}` : ""}`,
  );
  out.push(
    `- generated: ${r.generatedAt}; events found by ${r.method === "index" ? "the query indexes" : "reading the log"}`,
  );
  if (r.unsigned > 0)
    out.push(
      `- ${r.unsigned} entries appended after the checkpoint are not counted (no signed checkpoint covers them yet)`,
    );
  out.push("");
  out.push(
    `**${s.applicable} applicable controls: ${s.evidenced} evidenced, ${s.gaps} gaps, ${s.outside} evidenced outside the log; ${s.excluded} excluded; ${s.events} events.**`,
    "",
  );
  out.push("## Evidence per control", "");
  out.push("| control | title | status | events | first | last | query |");
  out.push("|---|---|---|---:|---|---|---|");
  for (const c of r.controls) {
    out.push(
      `| ${c.id} | ${cell(c.title)} | ${c.status} | ${c.count === 0 ? "**gap**" : c.count} | ${when(c, "first")} | ${when(c, "last")} | \`${cell(c.query)}\` |`,
    );
  }
  out.push("", "## Gaps", "");
  if (r.gaps.length === 0) out.push("None: every applicable control has evidence in the period.");
  for (const id of r.gaps) {
    const c = r.controls.find((x) => x.id === id) as ControlEvidence;
    out.push(`- ${id} ${c.title}: no event matches \`${c.query}\` in the period`);
  }
  if (r.outside.length > 0) {
    out.push("", "## Evidenced outside the log", "");
    for (const c of r.outside)
      out.push(
        `- ${c.id} ${c.title} (${c.status}): ${c.justification || "no justification given"}`,
      );
  }
  out.push("", "## Exclusions", "");
  if (r.excluded.length === 0) out.push("None.");
  for (const c of r.excluded) out.push(`- ${c.id} ${c.title}: ${c.justification}`);
  out.push("", "## Samples with inclusion proofs", "");
  for (const c of r.controls) {
    if (c.samples.length === 0) continue;
    out.push(`### ${c.id} ${c.title}`, "");
    for (const p of c.samples) {
      out.push(
        `- #${p.index} ${p.ts} ${p.actor} ${p.action} ${p.outcome}${p.asset ? ` ${p.asset}` : ""}`,
      );
      out.push(`  - leaf hash \`${p.leafHash}\``);
      out.push(`  - proof (${p.proof.length} hashes): ${p.proof.map((h) => `\`${h}\``).join(" ")}`);
    }
    out.push("");
  }
  out.push("## How to check this report", "");
  for (const [i, h] of r.howToCheck.entries()) out.push(`${i + 1}. ${h}`);
  out.push("", "Checkpoint (signed note):", "", "```", r.checkpoint.note.trimEnd(), "```", "");
  return out.join("\n");
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.gap td{background:#fff5f5}.gap-label{color:#b42318;font-weight:600}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
td.q code{white-space:nowrap;word-break:normal}
pre{background:#f6f8fa;padding:.6rem;border:1px solid #d0d7de;white-space:pre-wrap}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.meta dt{font-weight:600}dl.meta dd{margin:0}
.summary{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}.summary div{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem}
.summary b{display:block;font-size:1.4rem}
details{margin:.3rem 0}summary{cursor:pointer}
@media print{details{display:block}details>*{display:block}}
`;

/** The report as one self-contained HTML page (no scripts, no external resources). */
export function evidenceToHtml(r: EvidenceReport): string {
  const s = r.summary;
  const h: string[] = [];
  h.push("<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">');
  h.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  // No script may run and nothing may load: the page is evidence, read offline.
  h.push(
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
  );
  h.push(`<title>ISO/IEC 27001:2022 evidence: ${esc(r.origin)}</title>`);
  h.push(`<style>${CSS}</style>`, "</head>", "<body>");
  h.push(`<h1>ISO/IEC 27001:2022 evidence: ${esc(r.origin)}</h1>`);
  h.push('<dl class="meta">');
  const meta: Array<[string, string]> = [
    ["period", `${period(r)} (event time)`],
    ["checkpoint", `size ${r.checkpoint.size}, root ${r.checkpoint.root}`],
    ["verifier key", r.vkey],
    [
      "Statement of Applicability",
      `${r.soa.source}${r.soa.version ? `, version ${r.soa.version}` : ""}`,
    ],
    ["organization", r.soa.organization],
    ["scope", r.soa.scope],
    [
      "generated",
      `${r.generatedAt}; events found by ${r.method === "index" ? "the query indexes" : "reading the log"}`,
    ],
  ];
  if (r.unsigned > 0)
    meta.push(["not counted", `${r.unsigned} entries appended after the checkpoint`]);
  for (const [k, v] of meta) {
    if (v !== "")
      h.push(
        `<dt>${esc(k)}</dt><dd>${k === "verifier key" || k === "checkpoint" ? `<code>${esc(v)}</code>` : esc(v)}</dd>`,
      );
  }
  h.push("</dl>");
  h.push('<div class="summary" id="summary">');
  for (const [k, v] of [
    ["applicable", s.applicable],
    ["evidenced", s.evidenced],
    ["gaps", s.gaps],
    ["outside the log", s.outside],
    ["excluded", s.excluded],
    ["events", s.events],
  ] as const) {
    h.push(`<div data-key="${esc(k)}"><b>${v}</b>${esc(k)}</div>`);
  }
  h.push("</div>");

  h.push('<h2 id="controls">Evidence per control</h2>');
  h.push(
    '<table id="evidence"><thead><tr><th>control</th><th>title</th><th>status</th><th>owner</th><th>events</th><th>first</th><th>last</th><th>query</th></tr></thead><tbody>',
  );
  for (const c of r.controls) {
    h.push(
      `<tr${c.count === 0 ? ' class="gap"' : ""} data-control="${esc(c.id)}"><td>${esc(c.id)}</td><td>${esc(c.title)}</td><td>${esc(c.status)}</td><td>${esc(c.owner)}</td><td class="n">${c.count === 0 ? '<span class="gap-label">gap</span>' : c.count}</td><td>${esc(when(c, "first"))}</td><td>${esc(when(c, "last"))}</td><td class="q"><code>${esc(c.query)}</code></td></tr>`,
    );
  }
  h.push("</tbody></table>");

  h.push('<h2 id="gaps">Gaps</h2>');
  if (r.gaps.length === 0)
    h.push("<p>None: every applicable control has evidence in the period.</p>");
  else {
    h.push('<ul id="gap-list">');
    for (const id of r.gaps) {
      const c = r.controls.find((x) => x.id === id) as ControlEvidence;
      h.push(
        `<li data-control="${esc(id)}">${esc(id)} ${esc(c.title)}: no event matches <code>${esc(c.query)}</code> in the period</li>`,
      );
    }
    h.push("</ul>");
  }
  if (r.outside.length > 0) {
    h.push(
      '<h2 id="outside">Evidenced outside the log</h2><table><thead><tr><th>control</th><th>title</th><th>status</th><th>justification</th></tr></thead><tbody>',
    );
    for (const c of r.outside)
      h.push(
        `<tr><td>${esc(c.id)}</td><td>${esc(c.title)}</td><td>${esc(c.status)}</td><td>${esc(c.justification)}</td></tr>`,
      );
    h.push("</tbody></table>");
  }
  h.push('<h2 id="exclusions">Exclusions</h2>');
  if (r.excluded.length === 0) h.push("<p>None.</p>");
  else {
    h.push(
      '<table id="excluded"><thead><tr><th>control</th><th>title</th><th>justification</th></tr></thead><tbody>',
    );
    for (const c of r.excluded)
      h.push(
        `<tr data-control="${esc(c.id)}"><td>${esc(c.id)}</td><td>${esc(c.title)}</td><td>${esc(c.justification)}</td></tr>`,
      );
    h.push("</tbody></table>");
  }

  h.push('<h2 id="samples">Samples with inclusion proofs</h2>');
  for (const c of r.controls) {
    if (c.samples.length === 0) continue;
    h.push(`<h3>${esc(c.id)} ${esc(c.title)}</h3>`);
    h.push(
      '<table class="samples"><thead><tr><th>entry</th><th>time</th><th>actor</th><th>action</th><th>outcome</th><th>asset</th><th>leaf hash and proof</th></tr></thead><tbody>',
    );
    for (const p of c.samples) {
      h.push(
        `<tr><td class="n">${p.index}</td><td>${esc(p.ts)}</td><td>${esc(p.actor)}</td><td>${esc(p.action)}</td><td>${esc(p.outcome)}</td><td>${esc(p.asset ?? "")}</td><td><code>${esc(p.leafHash)}</code><details><summary>proof: ${p.proof.length} hashes</summary><pre>${esc(p.proof.join("\n"))}</pre></details></td></tr>`,
      );
    }
    h.push("</tbody></table>");
  }
  h.push('<h2 id="check">How to check this report</h2><ol>');
  for (const x of r.howToCheck) h.push(`<li>${esc(x)}</li>`);
  h.push(
    "</ol>",
    "<p>The checkpoint (a C2SP signed note):</p>",
    `<pre id="checkpoint">${esc(r.checkpoint.note)}</pre>`,
  );
  h.push("</body>", "</html>", "");
  return h.join("\n");
}
