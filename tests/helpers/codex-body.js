// Reading a request body the plugin sent, in either shape: the full Responses shape (top-level
// `tools` and `instructions`) or responses-lite (src/request/transform/lite.rs: they open the input).

/** The tools the body offers the model (`[]` when none). */
export function toolsOf(json) {
  if (Array.isArray(json?.tools)) return json.tools;
  const first = Array.isArray(json?.input) ? json.input[0] : undefined;
  return first?.type === "additional_tools" && Array.isArray(first.tools) ? first.tools : [];
}

/** True for a main-turn request (OpenCode offers its tools), false for a title or summary request. */
export const isMainTurn = (json) => toolsOf(json).length > 0;

/** The instructions the body carries. */
export function instructionsOf(json) {
  if (typeof json?.instructions === "string") return json.instructions;
  const second = json?.input?.[0]?.type === "additional_tools" ? json.input[1] : undefined;
  return second?.role === "developer" ? second.content?.[0]?.text : undefined;
}

