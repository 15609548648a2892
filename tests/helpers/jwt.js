// Unsigned test JWTs carrying the ChatGPT claims (the plugin only decodes the payload).
export function makeJwt(payload) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.${Buffer.from("test-signature").toString("base64url")}`;
}

export function chatgptToken({ accountId = "acc-test-123", plan = "plus", email = "dev@example.com", expS = Math.floor(Date.now() / 1000) + 3600, extra = {} } = {}) {
  return makeJwt({
    exp: expS,
    email,
    "https://api.openai.com/auth": { chatgpt_account_id: accountId, chatgpt_plan_type: plan, chatgpt_user_id: "user-test" },
    ...extra,
  });
}
