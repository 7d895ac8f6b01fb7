import type { Command } from "commander";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TokenValidatorService, ValidateTokenResponseSchema } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { CliContext } from "../cli-context.js";
import { printJson } from "../output.js";

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** `tessera validate`: asks a validator about a token read from stdin (never from the command line). */
export function registerValidateCommand(program: Command, ctx: CliContext): void {
  program
    .command("validate")
    .description("validate a token read from stdin; exit status 0 only if valid")
    .option("--scope <scope>", "the scope it must carry", "")
    .action(async (opts) => {
      const token = (await readAll(ctx.io.stdin)).trim();
      const validator = createClient(TokenValidatorService, createGrpcTransport({ baseUrl: ctx.validatorUrl }));
      const answer = await validator.validateToken({ token, requiredScope: opts.scope });
      printJson(ctx.io.stdout, ValidateTokenResponseSchema, answer);
      if (!answer.valid) ctx.fail(3);
    });
}
