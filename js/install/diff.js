// A unified line diff (`diff -u` format) of two texts, for `install --dry-run`. Pure: no I/O.
// Longest-common-subsequence on the lines between the common prefix and suffix; config files are small,
// and a middle too large for the table falls back to one replaced block (still a correct diff).

const MAX_TABLE_CELLS = 4_000_000;

/** Splits into lines; `noEol` marks a last line without a line break (shown as "\ No newline at end of file"). */
function splitLines(text) {
  if (text === "") return [];
  const lines = text.split("\n").map((line, i, all) => ({ text: line, noEol: false, last: i === all.length - 1 }));
  if (lines[lines.length - 1].text === "") lines.pop();
  else lines[lines.length - 1].noEol = true;
  return lines.map(({ text: t, noEol }) => ({ text: t.endsWith("\r") ? t.slice(0, -1) : t, raw: t, noEol }));
}

const sameLine = (a, b) => a.raw === b.raw && a.noEol === b.noEol;

/** The edit script as a list of {op: " " | "-" | "+", line}. */
function editScript(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && sameLine(a[start], b[start])) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && sameLine(a[endA - 1], b[endB - 1])) {
    endA -= 1;
    endB -= 1;
  }
  const ops = a.slice(0, start).map((line) => ({ op: " ", line }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  if ((n + 1) * (m + 1) > MAX_TABLE_CELLS) {
    for (const line of midA) ops.push({ op: "-", line });
    for (const line of midB) ops.push({ op: "+", line });
  } else {
    // lcs[i][j] = length of the LCS of midA[i..] and midB[j..], in one flat table.
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i -= 1) {
      for (let j = m - 1; j >= 0; j -= 1) {
        lcs[i * width + j] = sameLine(midA[i], midB[j])
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && sameLine(midA[i], midB[j])) {
        ops.push({ op: " ", line: midA[i] });
        i += 1;
        j += 1;
      } else if (i < n && (j === m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])) {
        ops.push({ op: "-", line: midA[i] });
        i += 1;
      } else {
        ops.push({ op: "+", line: midB[j] });
        j += 1;
      }
    }
  }
  for (const line of a.slice(endA)) ops.push({ op: " ", line });
  return ops;
}

/** Groups changes with `context` lines around them into hunks of {oldStart, oldLen, newStart, newLen, ops}. */
function hunks(ops, context) {
  const changed = ops.map((o, i) => (o.op === " " ? -1 : i)).filter((i) => i >= 0);
  const groups = [];
  for (const i of changed) {
    const last = groups[groups.length - 1];
    if (last && i - last.end <= 2 * context + 1) last.end = i;
    else groups.push({ start: i, end: i });
  }
  // Old/new line numbers before each op.
  const oldAt = [];
  const newAt = [];
  let o = 0;
  let n = 0;
  for (const op of ops) {
    oldAt.push(o);
    newAt.push(n);
    if (op.op !== "+") o += 1;
    if (op.op !== "-") n += 1;
  }
  return groups.map(({ start, end }) => {
    const from = Math.max(0, start - context);
    const to = Math.min(ops.length - 1, end + context);
    const slice = ops.slice(from, to + 1);
    const oldLen = slice.filter((x) => x.op !== "+").length;
    const newLen = slice.filter((x) => x.op !== "-").length;
    return {
      oldStart: oldLen === 0 ? oldAt[from] : oldAt[from] + 1,
      oldLen,
      newStart: newLen === 0 ? newAt[from] : newAt[from] + 1,
      newLen,
      ops: slice,
    };
  });
}

/**
 * Unified diff of `before` → `after` with headers `--- oldLabel` / `+++ newLabel`; "" when the texts are equal.
 * `before` null means the file does not exist yet (compared as empty, labelled /dev/null).
 */
export function unifiedDiff(before, after, { oldLabel = "a", newLabel = "b", context = 3 } = {}) {
  if (before === after) return "";
  const ops = editScript(splitLines(before ?? ""), splitLines(after ?? ""));
  const out = [`--- ${before === null ? "/dev/null" : oldLabel}`, `+++ ${after === null ? "/dev/null" : newLabel}`];
  for (const h of hunks(ops, context)) {
    const range = (start, len) => (len === 1 ? `${start}` : `${start},${len}`);
    out.push(`@@ -${range(h.oldStart, h.oldLen)} +${range(h.newStart, h.newLen)} @@`);
    for (const { op, line } of h.ops) {
      out.push(op + line.text);
      if (line.noEol) out.push("\\ No newline at end of file");
    }
  }
  return out.join("\n") + "\n";
}
