// A turnstile's relay/IO board as its driver needs to know it (drivers/turnstile/BOARD.md): the port, the Modbus
// address, which coil unlocks which direction and which inputs report passages and alarms. The gateway's
// config schema composes it into each lane.
import { z } from 'zod';
import { SerialPortConfig } from '../serial/config.js';

export const TurnstileConfig = z
  .object({
    port: SerialPortConfig,
    /** Modbus RTU slave address of the relay/IO board. */
    address: z.number().int().min(1).max(247).default(1),
    unlockCoil: z.object({ in: z.number().int().min(0).max(65535), out: z.number().int().min(0).max(65535) }).strict(),
    /** Discrete inputs: passage sensor per direction, the turnstile's own alarm contact, an optional fire-panel input. */
    inputs: z
      .object({
        passageIn: z.number().int().min(0).max(65535),
        passageOut: z.number().int().min(0).max(65535),
        alarm: z.number().int().min(0).max(65535).optional(),
        fireAlarm: z.number().int().min(0).max(65535).optional(),
      })
      .strict(),
    unlockPulseMs: z.number().int().min(100).max(30000).default(3000),
    pollIntervalMs: z.number().int().min(10).max(5000).default(50),
  })
  .strict();
export type TurnstileConfig = z.infer<typeof TurnstileConfig>;
