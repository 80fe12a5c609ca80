// The one way markup from a model reaches a webview: Markdown rendered by markdown-it with raw HTML off (a <script>
// in the text comes out as the characters "<script>"), then sanitised by DOMPurify to a small allow-list as a second
// line of defence. No images (no remote content), links only to http(s) and shown as links the host opens.
import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: true });

const ALLOWED_TAGS = [
  "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
  "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
  "table", "thead", "tbody", "tr", "th", "td", "a",
];

/** Safe DOM for `text` read as Markdown. */
export function renderMarkdown(text: string): DocumentFragment {
  const html = markdown.render(text);
  const fragment = DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title", "align"],
    ALLOWED_URI_REGEXP: /^https?:/i,
    RETURN_DOM_FRAGMENT: true,
  });
  return fragment;
}
