// SYNTHETIC people for simulated CCCD cards. Nobody here exists: the names are invented ("Thử" = test,
// "Mẫu" = sample, "Giả" = fake), every ID uses province code 001 with an invented serial, and the
// addresses name no real house. Never add a real person's data here.

export interface SyntheticPerson {
  /** Marks the record as invented wherever it is printed or logged. */
  synthetic: true;
  /** 12-digit số định danh cá nhân: province 001, century/sex digit, birth year, 6 digits. */
  id: string;
  /** The old 9-digit CMND, when the person had one. */
  oldId?: string;
  /** Family name as written, with diacritics (họ). */
  surname: string;
  /** Middle and given names as written (tên đệm và tên). */
  givenNames: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  sex: 'M' | 'F';
  ethnicity: string;
  religion: string;
  hometown: string;
  residence: string;
  identifyingMarks: string;
  /** YYYY-MM-DD */
  issueDate: string;
  /** YYYY-MM-DD: a CCCD expires when its holder turns 25, 40 or 60. */
  expiry: string;
  father: string;
  mother: string;
  spouse?: string;
  /** Optional portrait for DG2 (a path to any image sharp reads); a drawn placeholder otherwise. */
  facePhoto?: string;
}

export const fullName = (p: Pick<SyntheticPerson, 'surname' | 'givenNames'>): string => `${p.surname} ${p.givenNames}`;

/** The person of the shared synthetic vectors (cccd_td1_mrz_synthetic.txt, EF_DG13_cccd_synthetic.bin). */
export const NGUYEN_VAN_A: SyntheticPerson = {
  synthetic: true,
  id: '001099012345', // SYNTHETIC
  oldId: '168000001',
  surname: 'Nguyễn',
  givenNames: 'Văn A',
  dateOfBirth: '1999-01-01',
  sex: 'M',
  ethnicity: 'Kinh',
  religion: 'Không',
  hometown: 'Phủ Lý, Hà Nam',
  residence: 'Phường Minh Khai, Phủ Lý, Hà Nam',
  identifyingMarks: 'Nốt ruồi cách 1cm trên mép trái',
  issueDate: '2021-07-01',
  expiry: '2039-01-01',
  father: 'Nguyễn Văn B',
  mother: 'Trần Thị C',
};

export const TRAN_THI_MAU: SyntheticPerson = {
  synthetic: true,
  id: '001195099001', // SYNTHETIC
  surname: 'Trần',
  givenNames: 'Thị Mẫu',
  dateOfBirth: '1995-03-14',
  sex: 'F',
  ethnicity: 'Kinh',
  religion: 'Không',
  hometown: 'Duy Tiên, Hà Nam',
  residence: 'Số 1 Đường Thử Nghiệm, Phủ Lý, Hà Nam',
  identifyingMarks: 'Sẹo chấm cách 2cm dưới đuôi mắt phải',
  issueDate: '2021-09-15',
  expiry: '2035-03-14',
  father: 'Trần Văn Giả',
  mother: 'Lê Thị Mẫu',
  spouse: 'Phạm Văn Thử',
};

export const LE_VAN_THU: SyntheticPerson = {
  synthetic: true,
  id: '001087099002', // SYNTHETIC
  oldId: '168099002',
  surname: 'Lê',
  givenNames: 'Văn Thử',
  dateOfBirth: '1987-11-30',
  sex: 'M',
  ethnicity: 'Kinh',
  religion: 'Phật giáo',
  hometown: 'Kim Bảng, Hà Nam',
  residence: 'Thôn Mẫu, Xã Thử, Kim Bảng, Hà Nam',
  identifyingMarks: 'Nốt ruồi cách 3cm trên đầu lông mày trái',
  issueDate: '2022-01-20',
  expiry: '2027-11-30',
  father: 'Lê Văn Giả',
  mother: 'Đỗ Thị Thử',
};

export const DO_THI_GIA: SyntheticPerson = {
  synthetic: true,
  id: '001305099003', // SYNTHETIC
  surname: 'Đỗ',
  givenNames: 'Thị Giả',
  dateOfBirth: '2005-06-02',
  sex: 'F',
  ethnicity: 'Tày',
  religion: 'Không',
  hometown: 'Thanh Liêm, Hà Nam',
  residence: 'Tổ 9, Phường Thử, Phủ Lý, Hà Nam',
  identifyingMarks: 'Sẹo chấm cách 1cm trên cánh mũi trái',
  issueDate: '2023-06-10',
  expiry: '2030-06-02',
  father: 'Đỗ Văn Mẫu',
  mother: 'Vũ Thị Giả',
};

/**
 * Another SYNTHETIC person like `base` with a different ID number: the base's first six digits (province,
 * century-and-sex, birth year) and `serial` as the last six. Tests that need many distinct cards use this
 * rather than writing 12-digit numbers that look like real citizen IDs.
 */
export function syntheticVariant(
  base: SyntheticPerson,
  serial: number,
  changes: Partial<SyntheticPerson> = {},
): SyntheticPerson {
  if (!Number.isInteger(serial) || serial < 0 || serial > 999_999) throw new RangeError(`serial ${serial}`);
  return { ...base, ...changes, synthetic: true, id: `${base.id.slice(0, 6)}${String(serial).padStart(6, '0')}` };
}

export const SYNTHETIC_PEOPLE: readonly SyntheticPerson[] = [NGUYEN_VAN_A, TRAN_THI_MAU, LE_VAN_THU, DO_THI_GIA];

/** The same person with a portrait attached. */
export const withFacePhoto = (person: SyntheticPerson, facePhoto: string): SyntheticPerson => ({
  ...person,
  facePhoto,
});
