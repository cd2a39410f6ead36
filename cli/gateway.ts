// gate06 gateway -c FILE: the edge daemon on a gate box.
import { parseArgs } from 'node:util';
import { composeGateway } from '../gateway/compose.js';
import { serialDevices } from '../gateway/devices.js';
import { createLogger } from '../gateway/logger.js';
import { loadConfigOrReport } from './load-config.js';

const HELP = `usage: gate06 gateway -c FILE

Runs the gate daemon: drives the lanes' readers and turnstiles, decides, logs every event durably,
serves the HTTP API and publishes counts over MQTT when configured.

  -c, --config FILE   gateway YAML config (see config/gateway.example.yaml)
      --check         validate the config and exit (0 = valid)
  -h, --help          this help

A bad config exits 2 with one line per problem naming the key.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.config) {
    console.error('gate06 gateway: -c FILE is required\n\n' + HELP);
    return 2;
  }
  const config = loadConfigOrReport(values.config);
  if (!config) return 2;
  if (values.check) {
    console.log('config ok');
    return 0;
  }
  const logger = createLogger(config.log.level);
  const gateway = await composeGateway({ config, logger, devices: serialDevices() });
  // A promise nobody handles is a bug (every known path handles its own: issue #11). Node's default is to
  // exit; here it is logged and raised as an alarm, and the daemon stays up: the rejection has not touched
  // the gate's state (an unlock is a timed pulse and only ever follows a commit), whereas an exit would stop
  // every lane until the supervisor restarts it. Synchronous exceptions still end the process (state unknown).
  process.on('unhandledRejection', (reason) => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    logger.error({ err }, 'unhandled promise rejection (a bug): reported, the daemon stays up');
    try {
      gateway.core.alarms.raise('daemon-fault', null, {
        what: 'unhandled-rejection',
        error: err.message.slice(0, 100),
      });
    } catch (alarmErr) {
      logger.error({ err: alarmErr }, 'could not raise the daemon-fault alarm');
    }
  });
  await gateway.start();
  console.log(`gate06 gateway listening on ${gateway.url}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // A stop that hangs (a wedged serial port) must not keep the box from restarting the service.
  const force = setTimeout(() => {
    logger.error('stop took too long; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  await gateway.stop();
  return 0;
}
