/** A prompt that does not fit in a model's context; the message gives both token counts. */
export class PromptTooLongError extends Error {
  override name = "PromptTooLongError";
  constructor(
    readonly model: string,
    readonly promptTokens: number,
    readonly contextSize: number,
  ) {
    super(`model "${model}": the prompt is ${promptTokens} tokens but its context holds ${contextSize}; shorten the input`);
  }
}
