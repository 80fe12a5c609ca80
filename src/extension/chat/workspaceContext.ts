// The workspace a chat question is asked in, as paragraphs the agents can search: the selection, the files attached
// to the question (`#file:path` in the sidebar chat, the references VS Code's Chat view attaches to an @haps request)
// and the text of the open editors, in that order of priority, within packContext's limit. Only files and untitled
// documents are read (never settings, output or other extensions' virtual documents). What is read may go to a remote
// or VS Code model (a configuration's openai and vscode-lm candidates), so attached files (`#file:` and references
// alike, attachmentRefusal) are read only inside the workspace folders, and haps.chat.editorContext turns the
// selection and the open editors off (attachments stay).
import { realpath } from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import { DEFAULT_CONTEXT_LIMITS, packContext, type ContextLimits, type ContextSource, type LeftOut, type PackedContext } from "../../core/data/context/packContext.ts";

/** Open editors read at most (the active one first); more are named as left out. */
export const MAX_OPEN_EDITORS = 20;

/** Files larger than this are not read at all (the limit would cut them to their first lines anyway). */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** `#file:src/a.ts` or `#file:"a b.txt"` in a question typed into the sidebar chat. */
const FILE_TAG = /(^|\s)#file:(?:"([^"]+)"|(\S+))/g;

export interface QuestionContext {
  /** The question without the `#file:` tags and attached references. */
  question: string;
  packed: PackedContext;
}

/** "3-9": the 1-based lines a range covers (a range ending at the start of a line does not cover that line). */
function lines(range: vscode.Range): string {
  const last = range.end.character === 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1;
  return `${range.start.line + 1}-${last}`;
}

const readable = (uri: vscode.Uri) => uri.scheme === "file" || uri.scheme === "untitled";
const label = (uri: vscode.Uri) => (uri.scheme === "untitled" ? uri.path : vscode.workspace.asRelativePath(uri, true));

/** The text of `uri`: its open document's (unsaved edits included), else the file's bytes as UTF-8. */
async function readText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open != null) return open.getText();
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.type & vscode.FileType.Directory) throw new Error("a folder");
  if (stat.size > MAX_FILE_BYTES) throw new Error(`${(stat.size / 1024 / 1024).toFixed(1)} MiB, over ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
  const bytes = await vscode.workspace.fs.readFile(uri);
  if (bytes.includes(0)) throw new Error("not text");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error("not UTF-8 text");
  }
}

/**
 * Whether `uri` lies inside one of the workspace folders, after symbolic links (a link inside a repository may point
 * anywhere): the real path of the file against the real paths of the folders.
 */
async function insideWorkspaceFolders(uri: vscode.Uri): Promise<boolean> {
  const real = async (p: string) => await realpath(p).catch(() => path.resolve(p));
  const file = await real(uri.fsPath);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== "file") continue;
    const relative = path.relative(await real(folder.uri.fsPath), file);
    if (relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative))) return true;
  }
  return false;
}

/**
 * Why a file attached to a question may not be read, or null when it may: the one rule for `#file:` tags and for
 * the references VS Code's Chat view attaches to an @haps request (`request.references`, which the user, a
 * participant or a variable resolver may fill). What is read may be sent to a remote or VS Code model, so only files
 * inside the workspace folders (after symbolic links) and untitled documents of this window are read; never another
 * scheme (settings, output, another extension's virtual documents). `rule` names the mechanism in the reason.
 */
export async function attachmentRefusal(uri: vscode.Uri, rule: string): Promise<string | null> {
  if (uri.scheme === "untitled") return null;
  if (uri.scheme !== "file") return `not a file (${uri.scheme}:); ${rule}`;
  if (!(vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === "file")) return `no workspace folder is open, and ${rule}`;
  return (await insideWorkspaceFolders(uri)) ? null : `outside the workspace folders; ${rule}`;
}

const TAG_RULE = "#file reads only files inside the workspace folders";
const REFERENCE_RULE = "attached files are read only inside the workspace folders";

/**
 * `path` of a `#file:` tag: absolute, or relative to one of the workspace folders (the first where it exists). Only
 * files inside the workspace folders are read (attachmentRefusal): a question (pasted, or written by a model) must
 * not be able to send ~/.ssh or another project's files.
 */
async function resolveTag(tag: string): Promise<{ uri: vscode.Uri } | { refused: string }> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const checked = async (uri: vscode.Uri) => {
    const refused = await attachmentRefusal(uri, TAG_RULE);
    return refused == null ? { uri } : { refused };
  };
  if (/^([a-zA-Z]:)?[\\/]/.test(tag)) return await checked(vscode.Uri.file(tag));
  if (folders.length === 0) return { refused: `no workspace folder is open, and ${TAG_RULE}` };
  for (const folder of folders) {
    const uri = vscode.Uri.joinPath(folder.uri, tag);
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      continue; // not in this folder
    }
    return await checked(uri);
  }
  return { refused: "no such file in the workspace" };
}

/** Open editors' documents, the active tab of the active group first. */
function openEditorUris(): vscode.Uri[] {
  const groups = vscode.window.tabGroups;
  const ordered = [groups.activeTabGroup, ...groups.all.filter((g) => g !== groups.activeTabGroup)];
  const tabs = ordered.flatMap((g) => [g.activeTab, ...g.tabs.filter((t) => t !== g.activeTab)]);
  const uris: vscode.Uri[] = [];
  for (const tab of tabs) {
    const input = tab?.input;
    if (input instanceof vscode.TabInputText && readable(input.uri) && !uris.some((u) => u.toString() === input.uri.toString())) uris.push(input.uri);
  }
  return uris;
}

export interface GatherOptions {
  /** References attached to an @haps request (`request.references`). */
  references?: readonly vscode.ChatPromptReference[];
  /** The editor whose selection counts (the chat view may have the focus). Defaults to the active one. */
  editor?: vscode.TextEditor;
  limits?: ContextLimits;
  /** Whether the selection and the open editors are read. Defaults to the setting haps.chat.editorContext. */
  editorContext?: boolean;
}

/** The question's workspace context, packed, and the question with its attachment tags removed. */
export async function gatherQuestionContext(question: string, options: GatherOptions = {}): Promise<QuestionContext> {
  const sources: ContextSource[] = [];
  const leftOut: LeftOut[] = [];
  const seen = new Set<string>();
  const addFile = async (uri: vscode.Uri, name = label(uri)) => {
    if (seen.has(uri.toString())) return;
    seen.add(uri.toString());
    try {
      sources.push({ label: name, text: await readText(uri) });
    } catch (error) {
      leftOut.push({ label: name, reason: (error as Error).message });
    }
  };

  const editorContext = options.editorContext ?? vscode.workspace.getConfiguration("haps").get<boolean>("chat.editorContext", true);
  const editor = options.editor ?? vscode.window.activeTextEditor;
  if (!editorContext) {
    leftOut.push({ label: "the selection and the open editors", reason: "haps.chat.editorContext is off" });
  } else if (editor != null && readable(editor.document.uri) && !editor.selection.isEmpty) {
    sources.push({
      label: `selection in ${label(editor.document.uri)}:${lines(editor.selection)}`,
      firstLine: editor.selection.start.line + 1,
      text: editor.document.getText(editor.selection),
    });
  }

  // Attached references (@haps): their text goes in; their mention is cut from the prompt (right to left, so the
  // earlier ranges stay valid).
  let prompt = question;
  const references = [...(options.references ?? [])];
  for (const ref of references.filter((r) => r.range != null).sort((a, b) => b.range![0] - a.range![0])) {
    prompt = prompt.slice(0, ref.range![0]) + prompt.slice(ref.range![1]);
  }
  for (const ref of references) {
    const value = ref.value;
    if (value instanceof vscode.Uri || value instanceof vscode.Location) {
      const uri = value instanceof vscode.Uri ? value : value.uri;
      const refused = await attachmentRefusal(uri, REFERENCE_RULE);
      if (refused != null) {
        leftOut.push({ label: readable(uri) ? label(uri) : uri.toString(), reason: refused });
      } else if (value instanceof vscode.Uri) {
        await addFile(value);
      } else {
        try {
          const document = await vscode.workspace.openTextDocument(value.uri);
          const range = value.range;
          sources.push({ label: `${label(value.uri)}:${lines(range)}`, firstLine: range.start.line + 1, text: document.getText(range) });
        } catch (error) {
          leftOut.push({ label: label(value.uri), reason: (error as Error).message });
        }
      }
    } else if (typeof value === "string") {
      sources.push({ label: ref.modelDescription || ref.id, text: value });
    } else {
      leftOut.push({ label: ref.modelDescription || ref.id, reason: "an attachment of a kind HAPS does not read" });
    }
  }

  // `#file:` tags typed into the sidebar chat.
  for (const match of [...prompt.matchAll(FILE_TAG)]) {
    const tag = match[2] ?? match[3];
    const resolved = await resolveTag(tag);
    if ("refused" in resolved) leftOut.push({ label: tag, reason: resolved.refused });
    else await addFile(resolved.uri, label(resolved.uri));
  }
  prompt = prompt.replace(FILE_TAG, "$1").replace(/[ \t]{2,}/g, " ").trim();

  const editors = editorContext ? openEditorUris() : [];
  for (const uri of editors.slice(0, MAX_OPEN_EDITORS)) await addFile(uri);
  for (const uri of editors.slice(MAX_OPEN_EDITORS)) leftOut.push({ label: label(uri), reason: `beyond the first ${MAX_OPEN_EDITORS} open editors` });

  const packed = packContext(sources, options.limits ?? DEFAULT_CONTEXT_LIMITS);
  return { question: prompt === "" ? question.trim() : prompt, packed: { ...packed, leftOut: [...leftOut, ...packed.leftOut] } };
}
