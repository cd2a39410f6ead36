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
