// Outgoing mail. SMTP (nodemailer) when SMTP_URL is set; otherwise an outbox: each mail is stored in the OutboxMail
// table, so a developer (or a test) can follow it without a mail server. A mail's link is a live credential (it resets
// a password): outside production the outbox also logs it, on a line that says it is for development only; in
// production no link is ever logged.
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
    /** Log each mail's link too (development and test only). */
    private readonly logLinks: boolean,
  ) {}

  async send(mail: Mail): Promise<void> {
    await this.prisma.outboxMail.create({
      data: { to: mail.to, subject: mail.subject, text: mail.text, link: mail.link ?? null, tenantId: mail.tenantId ?? null },
    });
    if (this.logLinks) {
      this.logger.info('development only (never in production): mail stored in the OutboxMail table', {
        to: mail.to,
        subject: mail.subject,
        link: mail.link,
      });
    } else {
      this.logger.info('mail stored in the OutboxMail table (no SMTP_URL)', { to: mail.to, subject: mail.subject });
    }
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

export function createMailer(opts: { smtpUrl?: string; from: string; prisma: PrismaClient; logger: Logger; production: boolean }): Mailer {
  if (opts.smtpUrl) return new SmtpMailer(opts.smtpUrl, opts.from);
  if (opts.production) {
    opts.logger.warn('SMTP_URL is not set: mail is not sent, only stored in the OutboxMail table (links in it are not logged)');
  } else {
    opts.logger.info('SMTP_URL is not set: mail is stored in the OutboxMail table and its links are logged (development only)');
  }
  return new OutboxMailer(opts.prisma, opts.logger, !opts.production);
}
