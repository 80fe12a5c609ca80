// The routes of this session, newest last, each folded into the view the route panel shows: a badge in the chat can
// reopen an earlier answer's route, and the panel follows a running one event by event.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import type { RouteEvent, RouteView } from "../../../webview/route/protocol.ts";
import { applyRouteEvent, newRouteView } from "../../../webview/route/routeModel.ts";

/** Routes kept; older ones drop out (their chat badges then say so). */
const MAX_ROUTES = 100;

export class RouteHistory implements vscode.Disposable {
  private readonly routes = new Map<string, RouteView>();
  private readonly updated = new vscode.EventEmitter<{ routeId: string; event: RouteEvent }>();
  private readonly started = new vscode.EventEmitter<string>();
  /** Every event applied to a route. */
  readonly onDidUpdate = this.updated.event;
  /** A new route began. */
  readonly onDidStart = this.started.event;

  start(init: Omit<Parameters<typeof newRouteView>[0], "routeId">): RouteView {
    return this.add((routeId) => newRouteView({ ...init, routeId }));
  }

  /** Keeps a view built elsewhere (a saved report) under a fresh id. */
  add(build: (routeId: string) => RouteView): RouteView {
    const view = build(randomUUID());
    this.routes.set(view.routeId, view);
    while (this.routes.size > MAX_ROUTES) this.routes.delete(this.routes.keys().next().value!);
    this.started.fire(view.routeId);
    return view;
  }

  apply(routeId: string, event: RouteEvent): void {
    const view = this.routes.get(routeId);
    if (view == null) return;
    applyRouteEvent(view, event);
    this.updated.fire({ routeId, event });
  }

  get(routeId: string): RouteView | undefined {
    return this.routes.get(routeId);
  }

  latest(): RouteView | undefined {
    return [...this.routes.values()].at(-1);
  }

  dispose(): void {
    this.updated.dispose();
    this.started.dispose();
  }
}
