import { readFile } from 'node:fs/promises';

/**
 * The code blocks of a guide that are marked `<!-- example: <name> -->`
 * on the line before their fence, by name. Tests run these blocks
 * themselves, so the guide cannot drift from what works.
 */
export async function docExamples(url: URL): Promise<Map<string, string>> {
  const text = await readFile(url, 'utf8');
  const examples = new Map<string, string>();
  for (const match of text.matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) {
    examples.set(match[1] as string, `${match[2]}\n`);
  }
  return examples;
}
