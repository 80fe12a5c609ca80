// A stand-in for a chat model that follows instructions: it answers with a JSON object valid under the schema the
// prompt states (HostLmAgentEndpoint writes it there), choosing the action that ends an episode soonest. Tests use it
// where VS Code's language models would answer.

/** The schema stated at the end of a message, or null. */
export function statedSchema(message: string): { properties: Record<string, { enum?: string[]; const?: string; maxLength?: number }> } | null {
  const at = message.lastIndexOf("follows this JSON schema:\n");
  if (at < 0) return null;
  return JSON.parse(message.slice(at + "follows this JSON schema:\n".length).split("\n")[0]);
}

/**
 * A reply valid under the stated schema: Finish / Submit where offered (Search instead while the message lacks
 * `searchUntil`), `answer` in argument fields.
 */
export function schemaAnswer(message: string, { answer = "Paris", searchUntil }: { answer?: string; searchUntil?: string } = {}): string {
  const schema = statedSchema(message);
  if (schema == null) return `Answer: ${answer}`;
  const preferred = searchUntil != null && !message.includes(searchUntil) ? ["Search", "Submit", "Continue"] : ["Finish", "Submit", "Continue"];
  const reply: Record<string, string> = {};
  for (const [name, p] of Object.entries(schema.properties)) {
    if (p.const != null) reply[name] = p.const;
    else if (p.enum != null) reply[name] = preferred.find((v) => p.enum!.includes(v)) ?? p.enum[0];
    else reply[name] = name === "argument" ? answer : `${name} from the stand-in`.slice(0, p.maxLength ?? 80);
  }
  return JSON.stringify(reply);
}
