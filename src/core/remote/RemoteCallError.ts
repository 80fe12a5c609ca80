// One error for every way a call to a remote model can fail, naming the candidate, the request and, when the server
// answered, its HTTP status: an episode that meets it fails with this message (and writes no training data).

/** How the call failed: the server answered with an error status, did not answer in time, could not be reached, or answered something that is not the API's. */
export type RemoteFailure = "http" | "timeout" | "network" | "protocol";

export class RemoteCallError extends Error {
  override name = "RemoteCallError";

  constructor(
    message: string,
    /** The candidate id (or the server, for calls that belong to no candidate). */
    readonly candidate: string,
    readonly failure: RemoteFailure,
    /** The HTTP status of the last answer; absent when there was none. */
    readonly status: number | undefined,
    /** Attempts made, the first included. */
    readonly attempts: number,
  ) {
    super(message);
  }
}
