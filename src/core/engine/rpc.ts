// What both ends of the engine channel share on top of vscode-jsonrpc (protocol.ts says what travels): the progress
// types that carry a request's events, and errors as ResponseErrors whose data keeps the name and the stack.
import { ErrorCodes, ProgressType, ResponseError } from "vscode-jsonrpc";
import type { EngineEventMessage, ErrorData, HostEventMessage } from "./protocol.ts";

export const EVENT_PROGRESS = new ProgressType<EngineEventMessage>();
export const HOST_EVENT_PROGRESS = new ProgressType<HostEventMessage>();

/** A handler's error as it is sent: the message as it is (no "Request failed with" prefix), name and stack in data. */
export function toResponseError(error: unknown, withStack: boolean): ResponseError<ErrorData> {
  const data: ErrorData =
    error instanceof Error ? { message: error.message, name: error.name, ...(withStack ? { stack: error.stack } : {}) } : { message: String(error) };
  return new ResponseError(ErrorCodes.InternalError, data.message, data);
}

/** The ErrorData of an error that came back, or null when it is not a handler's error (a closed connection). */
export function errorDataOf(error: unknown): ErrorData | null {
  if (!(error instanceof ResponseError)) return null;
  const data = error.data as Partial<ErrorData> | undefined;
  return { message: error.message, name: typeof data?.name === "string" ? data.name : undefined, stack: typeof data?.stack === "string" ? data.stack : undefined };
}
