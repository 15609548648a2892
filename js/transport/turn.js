// `x-codex-turn-state`: the backend's sticky-routing token for one turn. Kept per session and turn
// (the core names the turn while it transforms the body: `transformRequest(...).turn`), replayed
// on the further requests of that turn and on re-sends, never on another turn or session. The
// first value of a turn wins (as codex-rs' OnceLock). In memory only: nothing outlives the process.
export const TURN_STATE_HEADER = "x-codex-turn-state";
const MAX_TURNS = 256; // the oldest entries go first; a live session uses one

export function createTurnStates() {
  const states = new Map(); // `${session}\n${turn.key}` -> token

  return {
    /**
     * The turn of one request. `turn`: the core's `{key, first}` or null (no turn: nothing is
     * sent or kept). A turn's first request forgets any token stored under its name.
     */
    begin(session, turn) {
      if (!session || !turn) return { headers: () => ({}), observe() {} };
      const id = `${session}\n${turn.key}`;
      if (turn.first) states.delete(id);
      return {
        /** The headers to add to a send of this request. */
        headers() {
          const token = states.get(id);
          return token ? { [TURN_STATE_HEADER]: token } : {};
        },
        /** Reads a reply's headers: keeps the turn's first token. */
        observe(headers) {
          const token = headers?.get?.(TURN_STATE_HEADER);
          if (!token || states.has(id)) return;
          states.set(id, token);
          if (states.size > MAX_TURNS) states.delete(states.keys().next().value);
        },
      };
    },
  };
}
