// Whether the OS keychain holds the refresh tokens of pooled accounts in this process (the option
// `keychain`, else OPENCODE_CODEX_KEYCHAIN), and where its trouble is said. Its own small module so the
// plugin's load sets it without importing the keychain itself (js/accounts/keychain.js, which
// re-exports these). Decides nothing else; touches no file and no keychain.
import { PACKAGE_NAME, resolveConfig } from "../config.js";

/** Whether the environment asks for the keychain (OPENCODE_CODEX_KEYCHAIN=1/true/yes): config.js's reading of it. */
export function keychainWanted(env = process.env) {
  return resolveConfig({}, env).keychain;
}

// null: follow the environment
let configured = null;
let noticeFn = (m) => console.error(`${PACKAGE_NAME}: ${m}`);

/**
 * The plugin (its options) and the CLI set this at start: `enabled` (undefined: the environment
 * decides), `notice` (keychain trouble, once per kind). The keychain and what it remembers are kept.
 */
export function configureKeychain({ enabled, notice } = {}) {
  if (enabled !== undefined) configured = Boolean(enabled);
  if (notice) noticeFn = notice;
}

/** Whether the keychain is on: configureKeychain({enabled}) when given, else the environment. */
export function keychainOn() {
  return configured ?? keychainWanted();
}

/** Says keychain trouble through the configured notice. */
export function keychainNotice(message) {
  noticeFn(message);
}
