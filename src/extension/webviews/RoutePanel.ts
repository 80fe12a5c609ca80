// The route panel: one editor tab that shows a route from the history - the one just sent by Route Query, or the
// one behind a chat answer's badge - and follows it live while it runs.
import * as vscode from "vscode";
import { parseFromRoutePanel, type RouteSnapshot, type ToRoutePanel } from "../../../webview/route/protocol.ts";
import type { RouteHistory } from "../routing/RouteHistory.ts";
import { webviewHtml, webviewOptions } from "./webviewHtml.ts";

export class RoutePanel implements vscode.Disposable {
  static readonly viewType = "haps.routePanel";

  private panel: vscode.WebviewPanel | null = null;
  private ready = false;
  private routeId: string | null = null;
  private readonly rendered = new vscode.EventEmitter<RouteSnapshot>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** What the panel reported it shows after each render (read from its DOM). */
  readonly onDidRender = this.rendered.event;
  lastSnapshot: RouteSnapshot | null = null;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly history: RouteHistory,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      history.onDidUpdate(({ routeId, event }) => {
        if (routeId === this.routeId) this.post({ type: "event", routeId, event });
      }),
    );
  }

  /** The route shown, or null. */
  get shownRouteId(): string | null {
    return this.routeId;
  }

  /** Opens (or reveals) the panel on `routeId`, or on the latest route when none is given. */
  show(routeId?: string): void {
    const view = routeId != null ? this.history.get(routeId) : this.history.latest();
    if (routeId != null && view == null) {
      void vscode.window.showWarningMessage("That route is no longer kept (the session keeps the last 100 routes).");
    }
    this.routeId = view?.routeId ?? null;
    if (this.panel == null) {
      this.panel = vscode.window.createWebviewPanel(RoutePanel.viewType, "HAPS Route", { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
        ...webviewOptions(this.context.extensionUri),
        // The whole route is re-sent on `ready`, so a hidden panel need not keep its page alive.
        retainContextWhenHidden: false,
      });
      this.panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, "media", "haps.svg");
      this.ready = false;
      this.panel.webview.onDidReceiveMessage((data) => this.onMessage(data), null, this.subscriptions);
      this.panel.onDidChangeViewState(({ webviewPanel }) => {
        // A page that was hidden is rebuilt when shown again and says `ready` anew.
        if (!webviewPanel.visible) this.ready = false;
      }, null, this.subscriptions);
      this.panel.onDidDispose(() => {
        this.panel = null;
        this.ready = false;
      }, null, this.subscriptions);
      this.panel.webview.html = webviewHtml(this.panel.webview, this.context.extensionUri, { bundle: "route", title: "HAPS Route" });
    } else {
      this.panel.reveal(undefined, true);
      this.sendView();
    }
  }

  private onMessage(data: unknown): void {
    let message;
    try {
      message = parseFromRoutePanel(data);
    } catch (error) {
      this.output.error(`Route panel: ${(error as Error).message}`);
      return;
    }
    if (message.type === "ready") {
      this.ready = true;
      this.sendView();
    } else {
      this.lastSnapshot = message.snapshot;
      this.rendered.fire(message.snapshot);
    }
  }

  private sendView(): void {
    const view = this.routeId != null ? this.history.get(this.routeId) : undefined;
    if (view != null) this.post({ type: "show", view });
  }

  private post(message: ToRoutePanel): void {
    if (this.panel == null || !this.ready) return;
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.rendered.dispose();
  }
}
