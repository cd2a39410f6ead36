// How a peer's address is compared with addresses written in config (the gate's and the collector's
// `http.metricsOpenTo`): an IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d, config lists a.b.c.d.
export const plainAddress = (ip: string): string => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);
