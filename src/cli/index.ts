// The `kuryr` command line: parses arguments and dispatches to one module per command. Errors from the
// plugin's registry print as one line (code and message) with exit status 1; anything else prints its stack.
import { Command } from 'commander';
import { isPluginError } from '../errors.ts';
import { registerConfigCommands } from './config.ts';
import { registerDoctorCommand } from './doctor.ts';
import { serve } from './serve.ts';
import { packageVersion } from './version.ts';
import { registerVfCommands } from './vf.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function buildCli(): Command {
  const program = new Command('kuryr')
    .description('Docker network + IPAM plugin backed by OpenStack Neutron')
    .version(`kuryr-libnetwork ${packageVersion()} (node ${process.version})`, '-V, --version', 'print the version and exit')
    .showHelpAfterError();
  program.command('serve')
    .description('run the plugin in the foreground (JSON logs on stderr)')
    .option('--config-file <file>', 'oslo.config file; repeatable, later files win', collect, [])
    .option('--config-dir <dir>', 'directory of *.conf files read after --config-file; repeatable', collect, [])
    .action(async (o: { configFile: string[]; configDir: string[] }) => {
      const configFile = o.configFile.length > 0 || o.configDir.length > 0 ? o.configFile : ['/etc/kuryr/kuryr.conf'];
      await serve({ configFile, configDir: o.configDir });
    });
  registerConfigCommands(program);
  registerDoctorCommand(program);
  registerVfCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (isPluginError(err)) {
      process.stderr.write(`kuryr: ${err.code}: ${err.message}\n`);
    } else {
      process.stderr.write(`kuryr: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}
