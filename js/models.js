// The model catalog the transform resolves names against: the bundled snapshot in the wasm core,
// merged with the live `/models` list when it has been fetched. One instance per process.
import { loadCore } from "./core.js";

let catalog;
const shownNotices = new Set();

/** The process-wide Catalog (wasm object), created from the bundled snapshot on first use. */
export async function getCatalog() {
  if (!catalog) {
    const core = await loadCore();
    catalog = new core.Catalog();
  }
  return catalog;
}

/** Calls `show(notice)` once per distinct notice (e.g. a retired model name remapped). */
export function noticeOnce(notice, show) {
  if (!notice || shownNotices.has(notice)) return;
  shownNotices.add(notice);
  show(notice);
}
