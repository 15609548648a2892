/** @jsxImportSource @opentui/solid */
// The package's TUI entry point (`exports["./tui"]`, listed in tui.json by the installer): the ChatGPT
// usage status in the prompt line, the per-window details in the session sidebar, and the
// "ChatGPT usage" command that opens them in a dialog after asking the usage endpoint again.
// It only draws the core's display model (js/tui/model.js → src/usage/view.rs): no numbers, windows or
// wording are decided here. Nothing is shown without a stored ChatGPT login (API-key users see nothing).
// Every slot returns elements (a bare string crashes OpenCode's TUI) and never throws; nothing is printed.
import { createSignal, For, Show } from "solid-js";
import { createUsageModel } from "./model.js";

const ID = "opencode-chatgpt-wasm";
const READ_EVERY_MS = 2_000; // the quota file the server plugin writes after each reply
const REFRESH_CHECK_MS = 30_000; // the core says whether the endpoint is due (at most every 5 min)

async function tui(api, options) {
  const model = createUsageModel({ options: options ?? {} });
  const [view, setView] = createSignal(null);
  const [busy, setBusy] = createSignal(false);

  const redraw = async () => {
    try {
      await model.readQuota();
      setView(await model.view());
    } catch {
      setView(null);
    }
  };
  const refresh = async (force = false) => {
    try {
      await model.refresh({ force });
    } catch {}
    await redraw();
  };

  const color = (level) => {
    const t = api.theme.current;
    return { ok: t.success, warn: t.warning, critical: t.error, muted: t.textMuted }[level] ?? t.text;
  };

  const Status = () => (
    <Show when={view()?.status.length}>
      <box flexDirection="row">
        <For each={view()?.status ?? []}>{(s) => <text fg={color(s.level)}>{s.text}</text>}</For>
      </box>
    </Show>
  );

  const Details = () => (
    <Show when={view()}>
      <box flexDirection="column">
        <text fg={api.theme.current.text}>ChatGPT usage</text>
        <For each={view()?.accounts ?? []}>
          {(a) => (
            <box flexDirection="column">
              <text fg={api.theme.current.textMuted}>{a.title + (a.serving && (view()?.accounts.length ?? 0) > 1 ? " (this session)" : "")}</text>
              <For each={a.windows}>
                {(w) => (
                  <box flexDirection="column">
                    <text fg={color(w.level)}>{`${w.label} ${w.usedText}`}</text>
                    <Show when={w.resetText}>
                      <text fg={api.theme.current.textMuted}>{`  ${w.resetText}`}</text>
                    </Show>
                  </box>
                )}
              </For>
              <Show when={a.credits}>
                <text fg={api.theme.current.textMuted}>{a.credits}</text>
              </Show>
              <Show when={a.note}>
                <text fg={api.theme.current.textMuted}>{a.note}</text>
              </Show>
              <Show when={a.ageText}>
                <text fg={api.theme.current.textMuted}>{a.ageText}</text>
              </Show>
            </box>
          )}
        </For>
      </box>
    </Show>
  );

  const dialogText = () => {
    const lines = view()?.lines ?? ["No ChatGPT login is stored: run `opencode auth login` and choose OpenAI."];
    const error = model.lastError();
    const tail = busy() ? ["", "refreshing…"] : error ? ["", error] : [];
    return [...lines, ...tail].join("\n");
  };

  const openDialog = async () => {
    api.ui.dialog.replace(() => <api.ui.DialogAlert title="ChatGPT usage" message={dialogText()} />);
    api.ui.dialog.setSize("large");
    setBusy(true);
    await refresh(true);
    setBusy(false);
  };

  api.slots.register({
    slots: {
      session_prompt_right() {
        return <Status />;
      },
      home_prompt_right() {
        return <Status />;
      },
      sidebar_content() {
        return <Details />;
      },
    },
  });
  api.keymap.registerLayer({
    commands: [
      {
        namespace: "palette",
        name: "chatgpt.usage",
        title: "ChatGPT usage",
        desc: "5-hour and weekly limits of the ChatGPT login (asks the usage endpoint again)",
        category: "ChatGPT",
        slashName: "usage",
        run() {
          void openDialog();
        },
      },
    ],
  });

  const timers = [setInterval(() => void redraw(), READ_EVERY_MS), setInterval(() => void refresh(false), REFRESH_CHECK_MS)];
  api.lifecycle.onDispose(() => timers.forEach(clearInterval));
  void refresh(false);
}

export default { id: ID, tui };
