import { Counter, type Registry } from "prom-client";
import type { NoticeKind } from "../domain/notices/notice-scanner.js";

/** Notices made (each also a webhook event) and emails sent, by kind and outcome. */
export function createNoticeMetrics(registry: Registry) {
  const notices = new Counter({ name: "tessera_notices_total", help: "Notices made: expiring, expired, inactivity (revoked as unused).", labelNames: ["kind"], registers: [registry] });
  const emails = new Counter({ name: "tessera_notice_emails_total", help: "Notice emails handed to the mail server (sent) or refused (failed).", labelNames: ["outcome"], registers: [registry] });
  for (const kind of ["expiring", "expired", "inactivity"]) notices.inc({ kind }, 0);
  for (const outcome of ["sent", "failed"]) emails.inc({ outcome }, 0);
  return {
    notice: (kind: NoticeKind) => notices.inc({ kind }),
    email: (ok: boolean) => emails.inc({ outcome: ok ? "sent" : "failed" }),
  };
}
