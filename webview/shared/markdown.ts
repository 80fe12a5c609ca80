// The one way markup from a model reaches a webview: Markdown rendered by markdown-it with raw HTML off (a <script>
// in the text comes out as the characters "<script>"), then sanitised by DOMPurify to a small allow-list as a second
// line of defence. No images (no remote content), links only to http(s) and shown as links the host opens.
//
// Fenced code is highlighted by highlight.js (its "common" set of ~36 languages, bundled: nothing is fetched). It
// escapes the code itself and emits only <span class="hljs-…">; the sanitiser keeps `class` on span and code only
// when every class is one of highlight.js's or markdown-it's `language-…`, and the colours come from our stylesheet
// (VS Code's theme variables), so no inline style is needed and the Content Security Policy stays as it is.
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/common";
import MarkdownIt from "markdown-it";

/** Code longer than this is shown without highlighting (highlight.js is linear, but a page should stay responsive). */
const MAX_HIGHLIGHT_CHARS = 100_000;

/** The highlight.js language for a fence's info string ("ts", "python {title}"), or null when it has none. */
export function fenceLanguage(info: string): string | null {
  const name = info.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  return name !== "" && hljs.getLanguage(name) ? name : null;
}

const markdown = new MarkdownIt({
  html: false,
  linkify: false,
  typographer: false,
  breaks: true,
  highlight: (code, info) => {
    const language = fenceLanguage(info);
    // "" tells markdown-it to escape the code itself (no highlighting: unknown language or too long).
    if (language == null || code.length > MAX_HIGHLIGHT_CHARS) return "";
    return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  },
});

const ALLOWED_TAGS = [
  "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "span",
  "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
  "table", "thead", "tbody", "tr", "th", "td", "a",
];

/** Classes highlight.js and markdown-it write: `hljs`, `hljs-keyword`, `hljs-title function_`, `language-ts`. */
const SAFE_CLASS = /^(hljs(-[a-z_-]+)?|[a-z]+_|language-[\w+#.-]+)$/;

DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
  if (data.attrName !== "class") return;
  const allowed = (node.nodeName === "SPAN" || node.nodeName === "CODE") && data.attrValue.split(/\s+/).every((c) => c === "" || SAFE_CLASS.test(c));
  if (!allowed) data.keepAttr = false;
});

/** Safe DOM for `text` read as Markdown. */
export function renderMarkdown(text: string): DocumentFragment {
  const html = markdown.render(text);
  const fragment = DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title", "align", "class"],
    ALLOWED_URI_REGEXP: /^https?:/i,
    RETURN_DOM_FRAGMENT: true,
  });
  return fragment;
}
