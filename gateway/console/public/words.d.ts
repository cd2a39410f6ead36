// Types for words.js, so the server (the CSV export's words column) reads the console's one table of words.
export interface Words {
  vi: string;
  en: string;
}
export declare const REASON_WORDS: Readonly<Record<string, Words>>;
export declare const ALARM_WORDS: Readonly<Record<string, Words>>;
export declare const PROMPT_WORDS: Readonly<Record<string, Words>>;
export declare function inWords(table: Readonly<Record<string, Words>>, code: string | null | undefined): string;
