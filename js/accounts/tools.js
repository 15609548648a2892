// The plugin's OpenCode tools, so a user can ask in the chat: `chatgpt_accounts` (the pool with
// health and usage, never a token) and `chatgpt_use_account` (what `accounts use` does). Arguments
// are plain JSON Schema (OpenCode 1.18 accepts it beside zod; zod is not bundled). The project of
// a pin is the session's worktree, as for the CLI's `--project`.
import { callCore } from "../core.js";

/** `{chatgpt_accounts, chatgpt_use_account}` for the plugin's `tool` hook. */
export function accountTools({ env = process.env, now = Date.now, authPath, poolPath } = {}) {
  // The pool's code, the project lookup and the accounts CLI are loaded when a tool runs, not at plugin load.
  const pool = () => import("./pool.js");
  const fileOf = async () => poolPath ?? (await pool()).defaultPoolPath(env);
  const dirOf = async (ctx) => (await import("./project.js")).projectOf(ctx?.worktree && ctx.worktree !== "/" ? ctx.worktree : (ctx?.directory ?? process.cwd()));
  return {
    chatgpt_accounts: {
      description:
        "List the user's ChatGPT accounts used by OpenCode: number, label, email, plan, workspace, which is active or pinned to this project, health (ok, cooling down until a reset, login expired) and the last usage figures with reset times. Contains no tokens.",
      args: {},
      async execute(_args, ctx) {
        const { pool: doc } = await (await pool()).readPool(await fileOf());
        const project = await dirOf(ctx);
        const accounts = await callCore((c) => c.accountsList(doc, now(), project));
        return JSON.stringify({ project, accounts }, null, 2);
      },
    },
    chatgpt_use_account: {
      description:
        "Switch the ChatGPT account OpenCode uses. `account` is a number, label or email from chatgpt_accounts; `scope` is 'global' (the active account for every project) or 'project' (pin it to this project only). Only do this when the user asks for it.",
      args: {
        account: { type: "string", description: "account number, label or email (see chatgpt_accounts)" },
        scope: { type: "string", enum: ["global", "project"], description: "global: the active account; project: pin it to this project" },
      },
      async execute(args, ctx) {
        const lines = [];
        const argv = ["use", String(args?.account ?? ""), ...(args?.scope === "project" ? ["--project"] : [])];
        const { runAccounts } = await import("./cli.js");
        const code = await runAccounts({ argv, env, cwd: await dirOf(ctx), now, authPath, poolPath: await fileOf(), out: (l) => lines.push(l), err: (l) => lines.push(l) });
        const text = lines.join("\n").split("\nUsage:")[0];
        if (code !== 0) throw new Error(text);
        return text;
      },
    },
  };
}
