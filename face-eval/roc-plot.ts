// A ROC curve as a self-contained SVG (no plotting dependency): TMR against FMR on a log axis.

export interface RocPoint {
  fmr: number;
  tmr: number;
}

export function rocSvg(
  points: readonly RocPoint[],
  title: string,
  marks: Array<{ fmr: number; label: string }> = [],
): string {
  const width = 640;
  const height = 440;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 50;
  const minLog = -5;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xOf = (fmr: number): number => left + ((Math.log10(Math.max(fmr, 10 ** minLog)) - minLog) / -minLog) * plotW;
  const yOf = (tmr: number): number => top + (1 - tmr) * plotH;
  const path = [...points]
    .sort((a, b) => a.fmr - b.fmr)
    .map((p, i) => `${i ? 'L' : 'M'}${xOf(p.fmr).toFixed(1)},${yOf(p.tmr).toFixed(1)}`)
    .join(' ');
  const grid: string[] = [];
  for (let e = minLog; e <= 0; e++) {
    const x = xOf(10 ** e).toFixed(1);
    grid.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotH}" stroke="#ddd"/>`);
    grid.push(`<text x="${x}" y="${top + plotH + 18}" text-anchor="middle" font-size="12">1e${e}</text>`);
  }
  for (let k = 0; k <= 10; k += 2) {
    const y = yOf(k / 10).toFixed(1);
    grid.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#eee"/>`);
    grid.push(
      `<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="12">${(k / 10).toFixed(1)}</text>`,
    );
  }
  const markLines = marks.map((m) => {
    const x = xOf(m.fmr).toFixed(1);
    return `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotH}" stroke="#c33" stroke-dasharray="4 3"/><text x="${x}" y="${top - 6}" text-anchor="middle" font-size="11" fill="#c33">${escapeXml(m.label)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    ...grid,
    ...markLines,
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<path d="${path}" fill="none" stroke="#1f5fbf" stroke-width="2"/>`,
    `<text x="${left + plotW / 2}" y="${height - 10}" text-anchor="middle" font-size="12">false match rate (log)</text>`,
    `<text x="16" y="${top + plotH / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${top + plotH / 2})">true match rate</text>`,
    '</svg>',
  ].join('\n');
}

const escapeXml = (s: string): string =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
