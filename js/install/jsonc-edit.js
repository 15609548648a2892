// Comment-safe edits of JSONC text: set a value at a path (creating missing objects), append an array element,
// remove a property or element. Every position comes from jsonc-parser's tree and scanner; this module only
// decides where new text goes. Why not jsonc-parser's modify(): in 3.3.1 it corrupts a one-line array when
// removing its last element (`["a", "b"]` -> `["a""]`), deletes the comments of an array's only element, and
// appends after the previous member's value, so that member's trailing `// comment` ends up after ours.
// Here a member is added after the last member's whole line (comma and comment included) and removing it
// restores the text byte for byte.
import { createScanner, findNodeAtLocation, parseTree, SyntaxKind } from "jsonc-parser";

const PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false };

/** The syntax tree of (already validated) JSONC text. */
export function tree(text) {
  return parseTree(text, [], PARSE_OPTIONS);
}

function lineStart(text, offset) {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

function indentAt(text, offset) {
  return /^[ \t]*/.exec(text.slice(lineStart(text, offset)))[0];
}

/** Whether only spaces or tabs precede `offset` on its line. */
function startsLine(text, offset) {
  return /^[ \t]*$/.test(text.slice(lineStart(text, offset), offset));
}

const TRIVIA = new Set([SyntaxKind.Trivia, SyntaxKind.LineCommentTrivia, SyntaxKind.BlockCommentTrivia]);

/**
 * What follows a member ending at `end` on its line: an optional comma, spaces and comments, then either a line
 * break ({atBreak: true, lineEnd, breakLength}) or the next token ({atBreak: false, lineEnd: its offset}).
 */
function memberTail(text, end) {
  const scanner = createScanner(text, false);
  scanner.setPosition(end);
  let comma = null;
  for (;;) {
    const kind = scanner.scan();
    const offset = scanner.getTokenOffset();
    if (TRIVIA.has(kind)) continue;
    if (kind === SyntaxKind.CommaToken && comma === null) {
      comma = offset;
      continue;
    }
    if (kind === SyntaxKind.LineBreakTrivia) return { comma, atBreak: true, lineEnd: offset, breakLength: scanner.getTokenLength() };
    return { comma, atBreak: false, lineEnd: offset, breakLength: 0 };
  }
}

/** Applies non-overlapping edits; edits at the same offset end up in the order they are listed. */
function applyAll(text, edits) {
  return edits
    .map((edit, index) => ({ ...edit, index }))
    .sort((a, b) => b.offset - a.offset || b.index - a.index)
    .reduce((t, e) => t.slice(0, e.offset) + e.content + t.slice(e.offset + e.length), text);
}

function unit(fmt) {
  return fmt.insertSpaces ? " ".repeat(fmt.tabSize) : "\t";
}

/** `value` as indented JSON whose continuation lines start with `indent`. */
function formatValue(value, indent, fmt) {
  return JSON.stringify(value, null, unit(fmt)).split("\n").join(fmt.eol + indent);
}

function memberText(key, value, indent, fmt) {
  return `${key === null ? "" : `${JSON.stringify(key)}: `}${formatValue(value, indent, fmt)}`;
}

/** The separator after a comma in a one-line container (", " unless the container writes ","). */
function compactSeparator(text, container) {
  const [a, b] = container.children ?? [];
  const between = a && b ? text.slice(a.offset + a.length, b.offset) : "";
  return /^[ \t]*,[ \t]*$/.test(between) ? between.replace(/^[ \t]*/, "") : ", ";
}

/** Adds a member (key null for an array element) as the last one of `container`. */
function appendMember(text, container, key, value, fmt) {
  const children = container.children ?? [];
  const close = container.offset + container.length - 1;
  const containerIndent = indentAt(text, container.offset);
  if (children.length === 0) {
    const inner = text.slice(container.offset + 1, close);
    const nested = container.parent !== undefined;
    if (nested && inner.trim() === "" && !memberTail(text, container.offset + container.length).atBreak) {
      // an empty container inside a one-line parent stays on one line
      const compact = `${key === null ? "" : `${JSON.stringify(key)}: `}${JSON.stringify(value)}`;
      return applyAll(text, [{ offset: container.offset + 1, length: inner.length, content: compact }]);
    }
    const indent = containerIndent + unit(fmt);
    const member = memberText(key, value, indent, fmt);
    if (inner.trim() === "") {
      return applyAll(text, [{ offset: container.offset + 1, length: inner.length, content: `${fmt.eol}${indent}${member}${fmt.eol}${containerIndent}` }]);
    }
    if (inner.includes("\n") && startsLine(text, close)) {
      return applyAll(text, [{ offset: lineStart(text, close), length: 0, content: `${indent}${member}${fmt.eol}` }]);
    }
    return applyAll(text, [{ offset: close, length: 0, content: `${fmt.eol}${indent}${member}${fmt.eol}${containerIndent}` }]);
  }
  const last = children[children.length - 1];
  const lastEnd = last.offset + last.length;
  const tail = memberTail(text, lastEnd);
  if (!tail.atBreak) {
    const compact = `${key === null ? "" : `${JSON.stringify(key)}: `}${JSON.stringify(value)}`;
    return applyAll(text, [{ offset: lastEnd, length: 0, content: `,${compactSeparator(text, container).slice(1)}${compact}` }]);
  }
  const indent = startsLine(text, last.offset) ? indentAt(text, last.offset) : containerIndent + unit(fmt);
  const member = memberText(key, value, indent, fmt);
  if (tail.comma !== null) return applyAll(text, [{ offset: tail.lineEnd, length: 0, content: `${fmt.eol}${indent}${member},` }]);
  return applyAll(text, [
    { offset: lastEnd, length: 0, content: "," },
    { offset: tail.lineEnd, length: 0, content: `${fmt.eol}${indent}${member}` },
  ]);
}

/** Removes member `index` of `container` with its line when it has one; the inverse of appendMember. */
function removeMember(text, container, index) {
  const children = container.children;
  const member = children[index];
  const end = member.offset + member.length;
  const tail = memberTail(text, end);
  if (startsLine(text, member.offset) && tail.atBreak) {
    const from = lineStart(text, member.offset);
    const edits = [{ offset: from, length: tail.lineEnd + tail.breakLength - from, content: "" }];
    if (index === children.length - 1 && index > 0 && tail.comma === null) {
      const previous = children[index - 1];
      const previousTail = memberTail(text, previous.offset + previous.length);
      if (previousTail.comma !== null) edits.push({ offset: previousTail.comma, length: 1, content: "" });
    }
    return applyAll(text, edits);
  }
  if (index === children.length - 1 && index > 0) {
    const previous = children[index - 1];
    return applyAll(text, [{ offset: previous.offset + previous.length, length: end - (previous.offset + previous.length), content: "" }]);
  }
  let stop = tail.comma === null ? end : tail.comma + 1;
  while (index < children.length - 1 && (text[stop] === " " || text[stop] === "\t")) stop += 1;
  return applyAll(text, [{ offset: member.offset, length: stop - member.offset, content: "" }]);
}

function nest(keys, value) {
  return keys.reduceRight((inner, key) => ({ [key]: inner }), value);
}

/**
 * Sets `value` at `path` (object keys and array indexes): replaces an existing value in place, or adds the
 * first missing key (with the rest of the path as nested objects) as the last member of its parent object.
 */
export function setAt(text, path, value, fmt) {
  const root = tree(text);
  for (let depth = 1; depth <= path.length; depth += 1) {
    const node = findNodeAtLocation(root, path.slice(0, depth));
    if (node === undefined) {
      const parent = depth === 1 ? root : findNodeAtLocation(root, path.slice(0, depth - 1));
      return appendMember(text, parent, path[depth - 1], nest(path.slice(depth), value), fmt);
    }
    if (depth === path.length) {
      return applyAll(text, [{ offset: node.offset, length: node.length, content: formatValue(value, indentAt(text, node.offset), fmt) }]);
    }
  }
  return text;
}

/** Appends `value` to the existing array at `path`. */
export function appendAt(text, path, value, fmt) {
  return appendMember(text, findNodeAtLocation(tree(text), path), null, value, fmt);
}

/** Removes the property or array element at `path`; the text is unchanged when there is none. */
export function removeAt(text, path) {
  const parent = path.length === 1 ? tree(text) : findNodeAtLocation(tree(text), path.slice(0, -1));
  const last = path[path.length - 1];
  const index = parent?.type === "array" ? last : (parent?.children ?? []).findIndex((p) => p.children?.[0]?.value === last);
  if (!parent || index < 0 || index >= (parent.children ?? []).length) return text;
  return removeMember(text, parent, index);
}

/** Empties the inside of the empty container at `path` ([] or {} with blanks only); comments inside are kept. */
export function collapseAt(text, path) {
  const node = path.length === 0 ? tree(text) : findNodeAtLocation(tree(text), path);
  if (!node || (node.children ?? []).length > 0) return text;
  const inner = text.slice(node.offset + 1, node.offset + node.length - 1);
  if (inner.trim() !== "") return text;
  return applyAll(text, [{ offset: node.offset + 1, length: inner.length, content: "" }]);
}
