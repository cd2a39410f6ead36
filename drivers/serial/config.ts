// The serial port a device family's driver opens: its contract with whoever configures it (the gateway's
// config schema composes this into each lane; the simulator cables its virtual devices to the same paths).
import { z } from 'zod';

export const SerialPortConfig = z
  .object({
    /** Prefer stable paths such as /dev/serial/by-id/usb-...; ttyUSB numbers change across reboots. */
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
  })
  .strict();
export type SerialPortConfig = z.infer<typeof SerialPortConfig>;
