// Outgoing mail. SMTP (nodemailer) when SMTP_URL is set; otherwise a development outbox: each mail is stored in
// the OutboxMail table and logged with its link, so a developer (or a test) can follow it without a mail server.
import nodemailer, { type Transporter } from 'nodemailer';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The action link in the mail (reset, verify), kept separately in the outbox for convenience. */
  link?: string;
  tenantId?: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export class OutboxMailer implements Mailer {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
  ) {}

  async send(mail: Mail): Promise<void> {
    await this.prisma.outboxMail.create({
      data: { to: mail.to, subject: mail.subject, text: mail.text, link: mail.link ?? null, tenantId: mail.tenantId ?? null },
    });
    this.logger.info('mail stored in the outbox (no SMTP_URL)', { to: mail.to, subject: mail.subject, link: mail.link });
  }
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(mail: Mail): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
  }
}

export function createMailer(opts: { smtpUrl?: string; from: string; prisma: PrismaClient; logger: Logger }): Mailer {
  return opts.smtpUrl ? new SmtpMailer(opts.smtpUrl, opts.from) : new OutboxMailer(opts.prisma, opts.logger);
}
