// Guards the SSE body OpenCode reads. (First slice: passes the body through untouched.)
export function guardStream(res) {
  return res;
}
