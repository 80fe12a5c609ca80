import { NO_MATCH } from "./readParagraph.ts";
import { firstSentence, splitTitle } from "./RunningSummary.ts";

// Words that may sit inside a name without a capital ("Battle of the Bulge", "Leonardo da Vinci").
const NAME_JOINERS = new Set(["of", "the", "and", "de", "da", "del", "der", "van", "von", "la", "le", "du", "y", "&"]);
const LEADING_ARTICLE = /^(the|a|an)$/i;

/**
 * The name a paragraph is about: its title when it has one, else the run of capitalised words (or numbers) that opens its first sentence, without a
 * leading article and without trailing joiners: "The Ferrari F430 is a sports car..." gives "Ferrari F430".
 * Returns "" when the sentence does not open with a name. It is the search-QA Student's fallback answer: a bridge
 * entity is a far better guess than nothing for token F1, and a guess that only uses what was read.
 */
export function leadingName(paragraph: string): string {
  const { title, body } = splitTitle(paragraph);
  if (title !== undefined) return title;
  const words = firstSentence(body).split(" ");
  if (words.length > 0 && LEADING_ARTICLE.test(words[0])) words.shift();
  const name: string[] = [];
  for (const raw of words) {
    const word = raw.replace(/[,;:.!?)"”]+$/, "");
    // A parenthesis ends the name: "Arthur's Magazine (1844–1846) was ..." is about "Arthur's Magazine".
    const capitalised = /^["'“]?[\p{Lu}\p{N}]/u.test(word);
    if (!capitalised && !(name.length > 0 && NAME_JOINERS.has(word.toLowerCase()))) break;
    name.push(word.replace(/^["'“]+/, ""));
    // Punctuation after a word ends the name ("Paris, France" is two names).
    if (word !== raw) break;
  }
  while (name.length > 0 && NAME_JOINERS.has(name[name.length - 1].toLowerCase())) name.pop();
  return name.join(" ");
}

/**
 * The search-QA Student's fallback answer: the name of the last paragraph it read, or "" when it has read none (a
 * search that matched nothing reads nothing).
 */
export function guessAnswer(lastRead: string | undefined): string {
  // Belt and braces: the "no match" notice opens with the word "No", which would pass for a yes/no answer.
  return lastRead === undefined || lastRead === NO_MATCH ? "" : leadingName(lastRead);
}
