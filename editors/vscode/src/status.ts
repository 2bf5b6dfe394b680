// The status bar item: the server's state in a word and an icon, the binary in the tooltip, a click
// that shows the output channel. Pure: the extension hands it the state, VS Code draws the result.

export type ServerState = "starting" | "running" | "stopped" | "error";

export interface StatusView {
  text: string;
  tooltip: string;
  /** A theme colour id for the item's background (errors stand out), or none. */
  background?: string;
  /** The command a click runs. */
  command: string;
}

const ICONS: Record<ServerState, string> = {
  starting: "$(sync~spin)",
  running: "$(check)",
  stopped: "$(circle-slash)",
  error: "$(error)",
};

/**
 * What the status bar item shows for the server's state. `binary` is the server it starts and
 * where it was found (`/app/node_modules/.bin/convex-migrate (node_modules)`); `detail` says why
 * it stopped or failed.
 */
export function statusView(state: ServerState, showOutput: string, binary?: string, detail?: string): StatusView {
  const lines = [`convex-migrate: ${state}`];
  if (binary) lines.push(binary);
  if (detail) lines.push(detail);
  lines.push("Click to show the output.");
  return {
    text: `${ICONS[state]} Convex Migrate`,
    tooltip: lines.join("\n"),
    background: state === "error" ? "statusBarItem.errorBackground" : undefined,
    command: showOutput,
  };
}

/** vscode-languageclient's `State` (1 stopped, 2 running, 3 starting) in words. */
export function clientState(state: number): ServerState {
  return state === 2 ? "running" : state === 3 ? "starting" : "stopped";
}
