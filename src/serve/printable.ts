// Client-supplied text as it may go into a log line: control characters (ESC sequences that clear a terminal or
// move its cursor, CR/LF that forge another line) written as escapes, and the length capped.

/** `text` with C0/C1 control characters and U+2028/2029 as `\xNN`/`\uNNNN` escapes, at most `max` characters. */
export function printable(text: string, max = 200): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g, (c) => {
    if (c === "\\") return "\\\\";
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
