// The page every HAPS webview starts from: a strict Content Security Policy (nothing by default; our own bundled
// script with a fresh nonce, our own styles and the codicon font; no remote content at all), and resource roots
// limited to the folders the bundles live in.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";

/** The bundles that scripts/build.mjs writes for the webviews. */
export type WebviewBundle = "route" | "chat";

/** Only these folders can be loaded from inside a webview. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist", "webview"), vscode.Uri.joinPath(extensionUri, "media")],
  };
}

export interface WebviewPageOptions {
  bundle: WebviewBundle;
  title: string;
  /** Lets the extension tests drive the page's own controls (`automate` messages); off outside tests. */
  automation?: boolean;
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, options: WebviewPageOptions): string {
  // A nonce per page load: only the script tag (and the library's one style probe) carrying it may run.
  const nonce = randomBytes(18).toString("base64");
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webview", file)).toString();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // The component library probes for :focus-visible with a <style> element; it carries the nonce (csp-nonce meta).
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    "img-src 'none'",
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join("; ");
  const title = options.title.replace(/[<>&"]/g, "");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${nonce}">
<link rel="stylesheet" href="${asset(`${options.bundle}.css`)}">
<title>${title}</title>
</head>
<body data-automation="${options.automation ? "on" : "off"}">
<main id="app"></main>
<script nonce="${nonce}" src="${asset(`${options.bundle}.js`)}"></script>
</body>
</html>`;
}
