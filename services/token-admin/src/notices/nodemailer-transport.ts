import nodemailer from "nodemailer";
import type { MailTransport } from "../domain/notices/email-outbox.js";

export interface SmtpSettings {
  /** smtp://user:password@host:587 or smtps://…:465 (nodemailer's URL form). */
  readonly url: string;
  readonly from: string;
  /** Bounds every phase of a send. */
  readonly timeoutMs: number;
}

/** Notices by SMTP through nodemailer, one pooled connection. */
export function createNodemailerTransport(settings: SmtpSettings): MailTransport {
  const transporter = nodemailer.createTransport(
    { url: settings.url, connectionTimeout: settings.timeoutMs, greetingTimeout: settings.timeoutMs, socketTimeout: settings.timeoutMs },
    { from: settings.from },
  );
  return {
    async send(email) {
      await transporter.sendMail({ to: email.recipient, subject: email.subject, text: email.body });
    },
    close: () => transporter.close(),
  };
}
