/**
 * The `herald` command. Each subcommand is one module in cli/commands/ exporting a `Command`;
 * add a line to the table below to add one.
 */
import { pathToFileURL } from 'node:url';
import type { Command } from './command.js';
import { conformanceCommand } from './commands/conformance.js';
import { auditCommand } from './commands/audit.js';
import { deployCommand } from './commands/deploy.js';
import { evidenceCommand } from './commands/evidence.js';
import { incidentsCommand } from './commands/incidents.js';
import { instancesCommand } from './commands/instances.js';
import { messagesCommand } from './commands/messages.js';
import { migrateCommand } from './commands/migrate.js';
import { signalsCommand } from './commands/signals.js';
import { testCommand } from './commands/test.js';

export const commands: Record<string, Command> = {
  test: testCommand,
  deploy: deployCommand,
  instances: instancesCommand,
  incidents: incidentsCommand,
  messages: messagesCommand,
  signals: signalsCommand,
  migrate: migrateCommand,
  audit: auditCommand,
  evidence: evidenceCommand,
  conformance: conformanceCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return [
    'Usage: herald <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'herald <command> --help' for a command's options; --json prints machine-readable output.",
  ].join('\n');
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`herald: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  return command.run(rest, io);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`herald: ${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    },
  );
}
