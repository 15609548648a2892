// The usage endpoint of the mock ChatGPT backend: GET /backend-api/wham/usage answers the figures a
// test sets, shaped like the live reply (plan, two windows classified by limit_window_seconds, credits,
// and the identity fields a client must not show), and refuses a request without a bearer and account id
// (or with a bearer other than `token`, when set, or one in `revoked`) with 401, as the live service does.

/** Mutable state a test changes between calls: `{primary, secondary, plan, credits, token, revoked, calls}`. */
export function createUsageState({ primary = 42, secondary = 71, plan = "plus", credits = null, token = null } = {}) {
  return { primary, secondary, plan, credits, token, revoked: new Set(), calls: 0 };
}

/** The JSON body for the state at `nowMs` (5-hour window first, the week second). */
export function usageBody(state, nowMs = Date.now()) {
  const win = (used, seconds, after) => ({ used_percent: used, limit_window_seconds: seconds, reset_after_seconds: after, reset_at: Math.floor(nowMs / 1000) + after });
  return {
    user_id: "user-mock",
    account_id: "acc-mock",
    email: "mock-user@example.com",
    plan_type: state.plan,
    rate_limit: { allowed: true, limit_reached: false, primary_window: win(state.primary, 18_000, 7_980), secondary_window: win(state.secondary, 604_800, 200_000) },
    ...(state.credits ? { credits: state.credits } : {}),
  };
}

/** `{status, headers, body}` for a recorded request to the usage endpoint. */
export function usageReply(state, record) {
  const auth = record.headers.authorization ?? "";
  const bearer = /^Bearer (\S+)$/.exec(auth)?.[1];
  if (!bearer || !record.headers["chatgpt-account-id"] || (state.token && bearer !== state.token) || state.revoked.has(bearer)) {
    return { status: 401, headers: { "content-type": "application/json" }, body: JSON.stringify({ detail: "Unauthorized" }) };
  }
  state.calls += 1;
  return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(usageBody(state)) };
}
