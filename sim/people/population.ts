// SYNTHETIC visitors for the simulator: invented names and IDs (province 035 Hà Nam with serials from a
// seeded generator), never a real person. The same seed gives the same crowd, so runs are reproducible.
import type { SyntheticPerson } from '../cards/people.js';

const SURNAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Ngô'];
const MIDDLE_M = ['Văn', 'Đức', 'Minh', 'Quang', 'Hữu'];
const MIDDLE_F = ['Thị', 'Ngọc', 'Thu', 'Minh', 'Thanh'];
// "Thử", "Mẫu", "Giả" (test, sample, fake) mark every simulated given name as invented.
const GIVEN = ['Thử', 'Mẫu', 'Giả', 'Thử Một', 'Mẫu Hai', 'Giả Ba'];

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

export function syntheticPerson(rnd: () => number, index: number): SyntheticPerson {
  const sex = rnd() < 0.5 ? 'M' : 'F';
  const year = 1950 + Math.floor(rnd() * 56);
  const month = 1 + Math.floor(rnd() * 12);
  const day = 1 + Math.floor(rnd() * 28);
  const centuryCode = (year >= 2000 ? 2 : 0) + (sex === 'F' ? 1 : 0);
  const id = `035${centuryCode}${pad(year % 100, 2)}${pad((index * 7919 + Math.floor(rnd() * 1000)) % 1_000_000, 6)}`;
  const issueYear = Math.max(2021, year + 14);
  return {
    synthetic: true,
    id,
    oldId: rnd() < 0.5 ? pad(Math.floor(rnd() * 1e9), 9) : undefined,
    surname: pick(rnd, SURNAMES),
    givenNames: `${pick(rnd, sex === 'M' ? MIDDLE_M : MIDDLE_F)} ${pick(rnd, GIVEN)}`,
    dateOfBirth: `${year}-${pad(month, 2)}-${pad(day, 2)}`,
    sex,
    ethnicity: 'Kinh',
    religion: 'Không',
    hometown: 'Phủ Lý, Hà Nam',
    residence: 'Thành phố Phủ Lý, Hà Nam',
    identifyingMarks: 'Không',
    issueDate: `${issueYear}-07-01`,
    expiry: `${Math.min(year + 60, 2099)}-${pad(month, 2)}-${pad(day, 2)}`,
    father: 'Nguyễn Văn Thử',
    mother: 'Trần Thị Mẫu',
  };
}

const ddmmyyyy = (iso: string): string => `${iso.slice(8, 10)}${iso.slice(5, 7)}${iso.slice(0, 4)}`;

/** The text of the printed QR on the person's card (notes/domain.md §1 layout). */
export function cccdQrText(p: SyntheticPerson): string {
  return [
    p.id,
    p.oldId ?? '',
    `${p.surname} ${p.givenNames}`,
    ddmmyyyy(p.dateOfBirth),
    p.sex === 'M' ? 'Nam' : 'Nữ',
    p.residence,
    ddmmyyyy(p.issueDate),
  ].join('|');
}
