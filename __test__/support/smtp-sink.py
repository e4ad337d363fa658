#!/usr/bin/env python3
"""A real SMTP server for the tests (aiosmtpd): listens on 127.0.0.1 at a free port,
prints {"port": N} once ready, writes every message it accepts as one JSON file into
--dir (envelope, headers, text and HTML parts, whether TLS and AUTH were used), and exits
when its standard input closes (so it never outlives the test that started it).

Options: --starttls CERT KEY (offer STARTTLS and require it before MAIL),
--tls CERT KEY (TLS from the first byte), --auth USER:PASSWORD (require this login),
--reject-rcpt ADDR (550 for that recipient), --fail-data (451 on every message),
--delay-ms N (wait before accepting each message)."""
import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import socket
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

p = argparse.ArgumentParser()
p.add_argument('--dir', required=True)
p.add_argument('--starttls', nargs=2, metavar=('CERT', 'KEY'))
p.add_argument('--tls', nargs=2, metavar=('CERT', 'KEY'))
p.add_argument('--auth')
p.add_argument('--reject-rcpt', action='append', default=[])
p.add_argument('--fail-data', action='store_true')
p.add_argument('--delay-ms', type=int, default=0)
args = p.parse_args()

# aiosmtpd logs every refused handshake and warns about test-only settings; the tests
# read what the client saw, so its own chatter only hides the test output.
logging.getLogger('mail.log').setLevel(logging.CRITICAL)
warnings.filterwarnings('ignore')


def context(pair):
    if not pair:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pair[0], pair[1])
    return ctx


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in [a.lower() for a in args.reject_rcpt]:
            return '550 5.1.1 <%s>: mailbox unavailable' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        if args.delay_ms:
            await asyncio.sleep(args.delay_ms / 1000)
        if args.fail_data:
            return '451 4.3.0 the sink refuses every message (--fail-data)'
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = msg.get_body(('plain',))
        html = msg.get_body(('html',))
        ssl_object = server.transport.get_extra_info('ssl_object')
        self.count += 1
        record = {
            'mailFrom': envelope.mail_from,
            'rcptTos': envelope.rcpt_tos,
            'subject': str(msg['subject']),
            'from': str(msg['from']),
            'to': str(msg['to']),
            'headers': {k.lower(): str(v) for k, v in msg.items()},
            'text': text.get_content() if text is not None else None,
            'html': html.get_content() if html is not None else None,
            'parts': [part.get_content_type() for part in msg.walk()],
            'tls': ssl_object.version() if ssl_object is not None else None,
            'login': session.auth_data if session.authenticated else None,
        }
        path = os.path.join(args.dir, '%06d.json' % self.count)
        with open(path + '.tmp', 'w') as f:
            json.dump(record, f)
        os.rename(path + '.tmp', path)
        return '250 OK: queued'


def authenticator(server, session, envelope, mechanism, auth_data):
    user, _, password = args.auth.partition(':')
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=user if ok else None)


async def main():
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen(16)
    starttls = context(args.starttls)
    implicit = context(args.tls)
    handler = Sink()

    def factory():
        return SMTP(
            handler,
            hostname='sink.test',
            tls_context=starttls,
            require_starttls=starttls is not None,
            authenticator=authenticator if args.auth else None,
            auth_required=bool(args.auth),
            # With --tls the whole connection is TLS: aiosmtpd only knows about STARTTLS.
            auth_require_tls=implicit is None,
        )

    server = await loop.create_server(factory, sock=sock, ssl=implicit)
    print(json.dumps({'port': sock.getsockname()[1]}), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


asyncio.run(main())
