// @ts-check
// Alarm kinds in words for the IOC's operators, Vietnamese first then English, with the code kept for support.
// The dashboard is served by the collector, apart from any gate, so it keeps its own table (the gate console's
// is gateway/console/public/words.js); test/gateway/console/words.test.ts fails when a kind is missing here.

/** One entry per kind in gateway/events.ts AlarmKind, as the collector accepts them (contracts/topics.ts). */
export const ALARM_WORDS = {
  'forced-passage': { vi: 'Có người vượt cổng khi chưa mở', en: 'Forced passage' },
  tailgating: { vi: 'Hai người qua một lượt', en: 'Tailgating' },
  'door-held': { vi: 'Cửa bị giữ mở quá lâu', en: 'Door held open' },
  'device-offline': { vi: 'Thiết bị mất kết nối', en: 'Device offline' },
  'turnstile-alarm': { vi: 'Cổng xoay báo lỗi', en: 'Turnstile alarm' },
  'fire-alarm': { vi: 'Báo cháy', en: 'Fire alarm' },
  'watchlist-hit': { vi: 'Trùng danh sách theo dõi', en: 'Watchlist hit' },
  'anti-passback': { vi: 'Vào lại khi chưa ra', en: 'Anti-passback' },
  'outbox-filling': { vi: 'Hàng đợi gửi về IOC sắp đầy', en: 'Outbox to the IOC filling up' },
  'clock-jump': { vi: 'Đồng hồ thiết bị nhảy giờ', en: 'Clock jumped' },
  'store-unavailable': { vi: 'Không ghi được nhật ký sự kiện', en: 'Event log cannot be written' },
  'disk-space-low': { vi: 'Sắp hết dung lượng ổ đĩa', en: 'Disk space low' },
  'store-checkpoint-failing': {
    vi: 'Không gộp được nhật ký WAL vào cơ sở dữ liệu',
    en: 'Event log checkpoints failing (WAL growing)',
  },
  'daemon-fault': {
    vi: 'Lỗi phần mềm cổng (vẫn chạy, cần kiểm tra)',
    en: 'Gateway software fault (still running; check it)',
  },
};

/**
 * "Báo cháy · Fire alarm"; a kind from a newer gate that this table lacks stays as its code.
 * @param {string | null | undefined} kind
 */
export function alarmInWords(kind) {
  const table = /** @type {Readonly<Record<string, { vi: string, en: string }>>} */ (ALARM_WORDS);
  const w = kind && Object.hasOwn(table, kind) ? table[kind] : undefined;
  return w ? `${w.vi} · ${w.en}` : (kind ?? '');
}

/**
 * Why a gate denied, for the denials card: one entry per code in contracts/topics.ts DENIAL_REASONS, in the same
 * words as the gate console (gateway/console/public/words.js); test/collector/dashboard.test.ts fails when one is
 * missing. A code from a newer gate that this table lacks stays as its code.
 */
export const DENIAL_WORDS = {
  'ticket.malformed': { vi: 'Mã vé sai định dạng', en: 'Not a valid ticket code' },
  'ticket.bad-signature': { vi: 'Chữ ký vé không hợp lệ', en: 'Bad ticket signature' },
  'ticket.unknown-key': { vi: 'Vé ký bằng khóa không rõ nguồn', en: 'Ticket signed with an unknown key' },
  'ticket.bad-claims': { vi: 'Vé thiếu hoặc sai thông tin', en: 'Ticket data missing or wrong' },
  'ticket.expired': { vi: 'Vé đã hết hạn', en: 'Ticket expired' },
  'ticket.not-yet-valid': { vi: 'Vé chưa đến giờ sử dụng', en: 'Ticket not valid yet' },
  'ticket.wrong-site': { vi: 'Vé của điểm khác', en: 'Ticket for another site' },
  'ticket.uses-exhausted': { vi: 'Vé đã dùng hết lượt', en: 'Ticket used up' },
  'qr.malformed': { vi: 'Không phải mã QR trên CCCD', en: 'Not a CCCD QR code' },
  'qr.bad-id': { vi: 'Số định danh trên QR không hợp lệ', en: 'Invalid ID number on the QR' },
  'qr.bad-old-id': { vi: 'Số CMND cũ trên QR không hợp lệ', en: 'Invalid old ID (CMND) number on the QR' },
  'qr.bad-date': { vi: 'Ngày tháng trên QR không hợp lệ', en: 'Invalid date on the QR' },
  'qr.bad-sex': { vi: 'Giới tính trên QR không hợp lệ', en: 'Invalid sex on the QR' },
  'qr.bad-name': { vi: 'Họ tên trên QR không hợp lệ', en: 'Invalid name on the QR' },
  'qr.expired': { vi: 'Thẻ CCCD đã hết hạn (theo QR)', en: 'ID card expired (per its QR)' },
  'chip.malformed': { vi: 'Dữ liệu chip không đọc được', en: 'Chip data unreadable' },
  'chip.read-failed': { vi: 'Đầu đọc không đọc được thẻ', en: 'The reader could not read the card' },
  'chip.bad-signature': { vi: 'Chữ ký số trên chip không hợp lệ', en: 'Chip signature invalid' },
  'chip.untrusted-signer': {
    vi: 'Chip không do cơ quan cấp tin cậy ký',
    en: 'Chip not signed by a trusted issuer',
  },
  'chip.dg-mismatch': { vi: 'Dữ liệu chip đã bị sửa đổi', en: 'Chip data altered' },
  'chip.expired': { vi: 'Thẻ CCCD đã hết hạn', en: 'ID card expired' },
  'chip.id-mismatch': {
    vi: 'Số định danh trên chip và trên thẻ không khớp',
    en: 'ID number differs between chip and card',
  },
  'chip.access-denied': { vi: 'Thẻ không khớp với mã QR vừa quét', en: 'The card does not belong to the scanned QR' },
  'chip.sm-error': { vi: 'Lỗi kết nối bảo mật với chip', en: 'Secure link to the chip failed' },
  'chip.clone-suspected': { vi: 'Nghi ngờ thẻ giả (chip sao chép)', en: 'Suspected cloned chip' },
  'chip.clone-not-excluded': {
    vi: 'Chip không chứng minh được là thẻ thật',
    en: 'The chip cannot prove it is not a copy',
  },
  'chip.timeout': { vi: 'Chưa đặt thẻ lên đầu đọc kịp thời', en: 'No card placed on the reader in time' },
  'face.missing': { vi: 'Cần khuôn mặt nhưng chưa chụp được', en: 'Face required, none captured' },
  'face.retake': { vi: 'Ảnh khuôn mặt chưa đạt, cần chụp lại', en: 'Face image not good enough; retake' },
  'face.no-match': { vi: 'Khuôn mặt không khớp', en: 'Face does not match' },
  'face.not-enrolled': { vi: 'Khuôn mặt chưa được đăng ký', en: 'Face not enrolled' },
  'face.liveness-failed': { vi: 'Nghi dùng ảnh giả khuôn mặt', en: 'Suspected face spoof (liveness failed)' },
  'face.unavailable': { vi: 'Chưa nhận diện khuôn mặt được trên cổng này', en: 'Face check unavailable' },
  'policy.credential-not-accepted': {
    vi: 'Làn không nhận loại giấy tờ này',
    en: 'Credential not accepted on this lane',
  },
  'policy.anti-passback': { vi: 'Đã vào nhưng chưa ghi nhận ra', en: 'Already inside (anti-passback)' },
  'policy.binding-mismatch': { vi: 'Vé đứng tên người khác', en: 'Ticket bound to another person' },
  'policy.binding-unverified': {
    vi: 'Vé đứng tên nhưng chưa xác thực CCCD',
    en: 'Named ticket, ID not verified',
  },
  'policy.watchlist': { vi: 'Có trong danh sách theo dõi', en: 'On the watchlist' },
  'policy.lane-out-of-service': { vi: 'Làn đang ngừng hoạt động', en: 'Lane out of service' },
  'policy.unknown-lane': { vi: 'Không có làn này', en: 'Unknown lane' },
  'store.unavailable': {
    vi: 'Không ghi được nhật ký; cổng khóa an toàn',
    en: 'Event log cannot be written; gate locked safe',
  },
};

/** Said beside a deny code this table has no words for (a newer gate's code), so it is not read as a fault. */
export const NO_WORDS_NOTE = 'mã mới, chưa có mô tả · a newer code, no words for it yet';

/**
 * "Vé đã hết hạn · Ticket expired". A code from a gate newer than this dashboard is shown as the code itself,
 * with a note saying it has no words, rather than hidden: its denials are real and count in the totals.
 * @param {string} code
 * @returns {{ text: string, note?: string }}
 */
export function denialInWords(code) {
  const table = /** @type {Readonly<Record<string, { vi: string, en: string }>>} */ (DENIAL_WORDS);
  const w = Object.hasOwn(table, code) ? table[code] : undefined;
  return w ? { text: `${w.vi} · ${w.en}` } : { text: code, note: NO_WORDS_NOTE };
}
