/**
 * Answer normalisation of the official HotpotQA evaluation script (hotpot_evaluate_v1.py): lower case, drop ASCII
 * punctuation, drop the articles a/an/the, fold white space. The steps run in the script's order, because the order
 * changes results: "the-end" becomes "theend" (removing articles first would give "end") and "a.b" becomes "ab".
 */

// Python's string.punctuation: ASCII only, so "’" or "–" survive exactly as they do in the official script.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

// Python's \b is Unicode-aware (letters, digits, underscore, no combining marks); JavaScript's \b is ASCII-only
// even with the u flag, so "éa" would lose its "a" here and not there. Look-arounds reproduce Python's boundary.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

// str.split() with no argument splits on Python's whitespace, which differs from JavaScript's \s: it includes
// \x1c-\x1f and \x85, and excludes \ufeff.
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Splits like Python's `str.split()`: runs of white space separate tokens, and no empty tokens come back. */
export function pythonSplit(text: string): string[] {
  return text.split(PYTHON_WHITESPACE).filter((token) => token.length > 0);
}

/** The official HotpotQA normalisation of an answer string. */
export function normalizeAnswer(text: string): string {
  const lowered = text.toLowerCase();
  const withoutPunctuation = lowered.replace(PUNCTUATION, "");
  const withoutArticles = withoutPunctuation.replace(ARTICLES, " ");
  return pythonSplit(withoutArticles).join(" ");
}
