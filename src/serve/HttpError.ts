// An error answer in the OpenAI API's shape: {"error": {"message", "type", "param", "code"}} with an HTTP status.
// Clients written for that API show `message` as it is, so every message names the field that is wrong.

export type ApiErrorType = "invalid_request_error" | "authentication_error" | "permission_error" | "not_found_error" | "rate_limit_error" | "server_error" | "upstream_error";

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType = status >= 500 ? "server_error" : "invalid_request_error",
    /** The request field at fault, as `messages[2].content`. */
    readonly param: string | null = null,
    /** Extra response headers (Retry-After, WWW-Authenticate, Allow). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { message: string; type: ApiErrorType; param: string | null; code: number } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.status } };
  }
}
