// The webview's side of postMessage, typed by each webview's protocol.

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | null = null;

/** acquireVsCodeApi may be called once per page; every caller shares that one handle. */
export function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

/**
 * Listens for messages from the extension; each is validated by `parse` first, and one that fails is reported on
 * the console (the webview's developer tools) and dropped.
 */
export function onExtensionMessage<T>(parse: (data: unknown) => T, handle: (message: T) => void): void {
  window.addEventListener("message", (event: MessageEvent) => {
    let message: T;
    try {
      message = parse(event.data);
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      return;
    }
    handle(message);
  });
}

/**
 * Calls `fn` at most once per `ms`, always after the latest call: renders stream in many small updates, and a
 * report per token would flood the channel, while waiting for a pause would report nothing during streaming.
 */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}
