// The CSV export's words column reads the console's own table of words (public/words.js), so a reason code
// reads the same in a spreadsheet as on the screen; the code column stays beside it for machines.
import { inWords, REASON_WORDS } from './public/words.js';

/** "Vé đã dùng hết lượt · Ticket used up"; empty for an event without a reason, the code for an unknown one. */
export const reasonInWords = (code: string | null): string => (code ? inWords(REASON_WORDS, code) : '');
