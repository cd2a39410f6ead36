import t from 'tap';
import { csvCell, toCsv } from '../../../gateway/console/csv.js';

t.test('cells with commas, quotes or line breaks are quoted', async (t) => {
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('two\nlines'), '"two\nlines"');
});

t.test('text a spreadsheet would run as a formula is defused', async (t) => {
  t.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  t.equal(csvCell('+1'), "'+1");
  t.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  t.equal(csvCell(-3), '-3', 'numbers stay numbers');
});

t.test('the file starts with a BOM and uses CRLF', async (t) => {
  t.equal(toCsv(['a', 'b'], [[1, null]]), '\uFEFFa,b\r\n1,\r\n');
});
