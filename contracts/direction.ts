// Which way a person passes a lane: `in` enters the lane's zone, `out` leaves it. The turnstile driver,
// the gateway's events and the counts the collector receives all speak of directions in these two words.
import { z } from 'zod';

export const Direction = z.enum(['in', 'out']);
export type Direction = z.infer<typeof Direction>;
